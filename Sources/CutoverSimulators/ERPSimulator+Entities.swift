import CutoverCore
import Foundation

extension ERPSimulator {
    static func seed() -> [String: [Entity]] {
        var tables: [String: [Entity]] = [:]
        tables["vendors"] = SimulatorCatalog.suppliers.map { supplier in
            Entity(
                members: [
                    ("id", .string(stableID("vendor", supplier.number))), ("number", .string(supplier.number)),
                    ("displayName", .string(supplier.name)), ("currencyCode", .string("USD")),
                    ("blocked", .string(" ")),
                ], version: 1)
        }
        tables["items"] = SimulatorCatalog.items.map { item in
            Entity(
                members: [
                    ("id", .string(stableID("item", item.code))), ("number", .string(item.code)),
                    ("displayName", .string(item.description)), ("type", .string("Inventory")),
                    ("baseUnitOfMeasureCode", .string(item.unitOfMeasure)),
                    ("unitPrice", .number(SimulatorCatalog.money(item.unitPrice))),
                ], version: 1)
        }
        for set in writable { tables[set] = [] }
        return tables
    }

    /// A UUID-shaped id that is the same on every run for the same seed row.
    static func stableID(_ kind: String, _ key: String) -> String {
        let hex = Digest.sha256Hex(kind + ":" + key)
        let characters = Array(hex.prefix(32))
        let groups = [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(characters[$0]) }
        return groups.joined(separator: "-")
    }

    func find(_ set: String, _ key: String) -> Entity? {
        tables[set]?.first { $0.value("id")?.scalarText == key || $0.value("number")?.scalarText == key }
    }

    func notFound(_ set: String, _ key: String) -> SimulatorResponse {
        Self.error(404, "BadRequest_NotFound", "The \(set) '\(key)' does not exist.")
    }

    static func etag(_ entity: Entity) -> String { "W/\"JzE3OzEwOzA7\(entity.version)Jzs=\"" }

    static func representation(_ entity: Entity) -> JSONValue {
        .object([("@odata.etag", .string(etag(entity)))] + entity.members)
    }

    func list(_ set: String, _ request: SimulatorRequest) -> SimulatorResponse {
        let all = tables[set] ?? []
        let skip = max(0, request.query["$skip"].flatMap(Int.init) ?? 0)
        let top = request.query["$top"].flatMap(Int.init)
        let pageSize = min(top ?? knobs.pageSize, knobs.pageSize)
        let page = Array(all.dropFirst(skip).prefix(pageSize))
        var members: [(String, JSONValue)] = [("value", .array(page.map(Self.representation)))]
        let nextSkip = skip + page.count
        let wanted = top.map { skip + $0 } ?? all.count
        if nextSkip < min(all.count, wanted) {
            var next = "\(request.baseURL)\(request.path)?$skip=\(nextSkip)"
            if let top { next += "&$top=\(top - page.count)" }
            members.append(("@odata.nextLink", .string(next)))
        }
        return Self.json(200, .object(members))
    }

    func read(_ set: String, key: String) -> SimulatorResponse {
        guard let entity = find(set, key) else { return notFound(set, key) }
        return Self.json(200, Self.representation(entity), headers: [("ETag", Self.etag(entity))])
    }

    func create(_ set: String, _ request: SimulatorRequest) -> SimulatorResponse {
        guard Self.writable.contains(set) else {
            return Self.error(405, "BadRequest_MethodNotAllowed", "\(set) cannot be created through this API.")
        }
        let replayKey = request.header("idempotency-key").map { "\(set)|\($0)" }
        if let replayKey, let first = idempotent[replayKey] {
            stats.idempotentReplays += 1
            return first
        }
        guard let body = try? JSONValue.parse(request.body), case .object(let fields) = body else {
            return Self.error(400, "BadRequest", "The request body is not a JSON object.")
        }
        let built: Result<Entity, SimulatorResponse>
        switch set {
        case "purchaseOrders": built = purchaseOrder(from: Entity(members: fields, version: 1))
        case "purchaseInvoices": built = purchaseInvoice(from: Entity(members: fields, version: 1))
        default: built = .success(ledgerEntry(from: Entity(members: fields, version: 1)))
        }
        let response: SimulatorResponse
        switch built {
        case .failure(let refusal):
            response = refusal
        case .success(let entity):
            tables[set, default: []].append(entity)
            stats.created[set, default: 0] += 1
            response = Self.json(201, Self.representation(entity), headers: [("ETag", Self.etag(entity))])
        }
        // Like most idempotency schemes, a refused request (a validation error) is not remembered: fixed and sent
        // again under the same key, it is taken.
        if let replayKey, (200..<300).contains(response.status) { idempotent[replayKey] = response }
        return response
    }

    func update(_ set: String, key: String, _ request: SimulatorRequest) -> SimulatorResponse {
        guard Self.writable.contains(set),
            let index = tables[set]?.firstIndex(where: {
                $0.value("id")?.scalarText == key || $0.value("number")?.scalarText == key
            })
        else { return notFound(set, key) }
        guard let ifMatch = request.header("if-match") else {
            return Self.error(428, "Request_IfMatchMissing", "An If-Match header is required to change a record.")
        }
        var entity = tables[set]![index]
        guard ifMatch == "*" || ifMatch == Self.etag(entity) else {
            return Self.error(409, "Request_EntityChanged", "Another user has already changed the record.")
        }
        guard let body = try? JSONValue.parse(request.body), case .object(let fields) = body else {
            return Self.error(400, "BadRequest", "The request body is not a JSON object.")
        }
        for (name, value) in fields where !["id", "number", "@odata.etag"].contains(name) {
            entity.set(name, value)
        }
        entity.version += 1
        entity.set("lastModifiedDateTime", .string(Self.timestamp()))
        tables[set]![index] = entity
        return Self.json(200, Self.representation(entity), headers: [("ETag", Self.etag(entity))])
    }

    static func timestamp(_ date: Date = Date()) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
