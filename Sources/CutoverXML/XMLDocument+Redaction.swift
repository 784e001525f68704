import CLibXML2
import CutoverCore

extension XMLDocument {
    /// The text values at `paths` (the values to protect), e.g. a patient's MRN in a request.
    public func secrets(at paths: [String], namespaces: [String: String]) -> Set<String> {
        var found: Set<String> = []
        for path in paths {
            guard case .nodes(let nodes)? = try? evaluate(path, namespaces: namespaces) else { continue }
            for node in nodes {
                let value = node.text.trimmingWhitespace()
                if !value.isEmpty { found.insert(value) }
            }
        }
        return found
    }

    /// Replaces, in place, the text of every node at `paths` and every text node equal to one of `secrets` by its
    /// token. Run it only after the document's original bytes have been used.
    public func redact(paths: [String], namespaces: [String: String], secrets: Set<String>, with redactor: Redactor) {
        for path in paths {
            guard case .nodes(let nodes)? = try? evaluate(path, namespaces: namespaces) else { continue }
            for node in nodes { node.setText(redactor.token(for: node.text.trimmingWhitespace())) }
        }
        guard !secrets.isEmpty, let root = xmlDocGetRootElement(pointer) else { return }
        var stack: [xmlNodePtr] = [root]
        while let node = stack.popLast() {
            var child = node.pointee.children
            while let current = child {
                child = current.pointee.next
                if current.pointee.type == XML_ELEMENT_NODE {
                    stack.append(current)
                } else if current.pointee.type == XML_TEXT_NODE || current.pointee.type == XML_CDATA_SECTION_NODE,
                    let content = current.pointee.content
                {
                    let text = String(cString: content).trimmingWhitespace()
                    // A text node's content is stored as given (no entity parsing), so this replaces it exactly.
                    if secrets.contains(text) { xmlNodeSetContent(current, redactor.token(for: text)) }
                }
            }
        }
    }
}
