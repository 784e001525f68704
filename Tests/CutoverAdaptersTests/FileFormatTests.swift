import CutoverConfig
import CutoverCore
import CutoverTesting
import CutoverXML
import Foundation
import Testing

@testable import CutoverAdapters

/// The three formats read from real files: every record, the errors that name file, line and column, and the
/// canary parts written back.
@Suite("File formats")
struct FileFormatTests {
    static let stockColumns = [
        ColumnDefinition(name: "site"), ColumnDefinition(name: "ndc"),
        ColumnDefinition(name: "qty_on_hand", type: .decimal), ColumnDefinition(name: "uom"),
    ]

    static func write(_ directory: TemporaryDirectory, _ name: String, _ bytes: [UInt8]) -> String {
        let path = directory.file(name)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    static func records(_ format: FileFormatDefinition, _ path: String, namespaces: [String: String] = [:]) throws
        -> [FileRecord]
    {
        let reader = try format.reader(path: path, building: true, namespaces: namespaces)
        var records: [FileRecord] = []
        while let record = try reader.next() { records.append(record) }
        return records
    }

    static func formatError(_ format: FileFormatDefinition, _ path: String, namespaces: [String: String] = [:])
        -> FileFormatError?
    {
        do {
            let reader = try format.reader(path: path, building: false, namespaces: namespaces)
            while try reader.skip() {}
            return nil
        } catch {
            return error as? FileFormatError
        }
    }

    // MARK: CSV

    @Test("CSV: quoted delimiters, doubled quotes and line breaks inside quotes, CRLF, a BOM, columns by header name")
    func csvQuoting() throws {
        let directory = TemporaryDirectory()
        let text =
            "uom,site,ndc,qty_on_hand,note\r\n"
            + "EA,NORTH,00071-0155-23,12,\"plain\"\r\n"
            + "BX,\"SOUTH, annex\",00093-7146-56,3.5,\"said \"\"urgent\"\"\"\r\n"
            + "EA,EAST,00002-3227-30,7,\"line one\r\nline two\"\r\n"
            + "\r\n"
            + "EA,WEST,00591-0405-01,0,last without a line end"
        let path = Self.write(directory, "STOCK_1.csv", [0xEF, 0xBB, 0xBF] + Array(text.utf8))
        let format = FileFormatDefinition.csv(CSVFormat(columns: Self.stockColumns))
        let records = try Self.records(format, path)
        #expect(records.count == 4)
        #expect(records[0].values == ["site": "NORTH", "ndc": "00071-0155-23", "qty_on_hand": "12", "uom": "EA"])
        #expect(records[1].values["site"] == "SOUTH, annex")
        #expect(records[1].values["qty_on_hand"] == "3.5")
        #expect(records[2].line == 4)
        #expect(records[3].line == 7, "the quoted line break counts as a line; the blank line is skipped")
        #expect(records[3].number == 4)
        // The part writer gets the records' own bytes back.
        #expect(
            String(decoding: records[2].raw, as: UTF8.self) == "EA,EAST,00002-3227-30,7,\"line one\r\nline two\"\r\n")
        let reader = try format.reader(path: path, building: true, namespaces: [:])
        #expect(Array(reader.prologue.prefix(3)) == [0xEF, 0xBB, 0xBF], "the BOM stays with the header for parts")
    }

    @Test("CSV in windows-1252 and iso-8859-1 decodes to the right characters")
    func csvEncodings() throws {
        let directory = TemporaryDirectory()
        // "Paracétamol 500 mg – boîte €" in windows-1252: é=E9, –=96, î=EE, €=80.
        var line: [UInt8] = Array("site,ndc,qty_on_hand,uom,description\nNORTH,0001,1,EA,Parac".utf8)
        line += [0xE9] + Array("tamol 500 mg ".utf8) + [0x96] + Array(" bo".utf8) + [0xEE] + Array("te ".utf8) + [0x80]
        line += Array("\n".utf8)
        let path = Self.write(directory, "STOCK_1252.csv", line)
        var columns = Self.stockColumns
        columns.append(ColumnDefinition(name: "description"))
        let windows = try Self.records(.csv(CSVFormat(encoding: .windows1252, columns: columns)), path)
        #expect(windows.first?.values["description"] == "Paracétamol 500 mg – boîte €")
        let latin = try Self.records(.csv(CSVFormat(encoding: .iso88591, columns: columns)), path)
        #expect(latin.first?.values["description"]?.hasPrefix("Paracétamol") == true)
        // The same bytes are not UTF-8: refused with the place named.
        let error = Self.formatError(.csv(CSVFormat(encoding: .utf8, columns: columns)), path)
        #expect(error?.line == 2)
        #expect(error?.column == 5)
        #expect(error?.description.contains("not valid utf-8") == true)
    }

    @Test("CSV errors name the file, line and column")
    func csvErrors() throws {
        let directory = TemporaryDirectory()
        let format = FileFormatDefinition.csv(CSVFormat(columns: Self.stockColumns))
        let short = Self.write(
            directory, "STOCK_short.csv", Array("site,ndc,qty_on_hand,uom\nNORTH,1,2,EA\nSOUTH,3,4\n".utf8))
        let shortError = try #require(Self.formatError(format, short))
        #expect(shortError.file == "STOCK_short.csv")
        #expect(shortError.line == 3)
        #expect(shortError.record == 2)
        #expect(shortError.description.contains("3 fields; 4 expected"))

        let open = Self.write(
            directory, "STOCK_open.csv", Array("site,ndc,qty_on_hand,uom\nNORTH,1,2,EA\nSOUTH,\"3,4,EA\n".utf8))
        let openError = try #require(Self.formatError(format, open))
        #expect(openError.line == 3)
        #expect(openError.column == 2)
        #expect(openError.message.contains("never closed"))

        let header = Self.write(directory, "STOCK_header.csv", Array("site,ndc,qty,uom\nNORTH,1,2,EA\n".utf8))
        #expect(Self.formatError(format, header)?.message.contains("no column 'qty_on_hand'") == true)

        let stray = Self.write(
            directory, "STOCK_stray.csv", Array("site,ndc,qty_on_hand,uom\n\"NORTH\"x,1,2,EA\n".utf8))
        #expect(Self.formatError(format, stray)?.message.contains("follows a closing quote") == true)
    }

    @Test("CSV: the fast validation scan and the record reader agree on 3,000 generated files, broken ones too")
    func csvScannersAgree() throws {
        let directory = TemporaryDirectory()
        let format = FileFormatDefinition.csv(
            CSVFormat(header: false, columns: [ColumnDefinition(name: "a"), ColumnDefinition(name: "b")]))
        let alphabet: [[UInt8]] = [
            Array("x".utf8), Array("yz".utf8), [UInt8(ascii: ",")], [UInt8(ascii: "\"")], [UInt8(ascii: "\"")],
            [UInt8(ascii: "\r")], [UInt8(ascii: "\n")], [UInt8(ascii: "\n")], Array("é".utf8), [0xE9], [0xE2, 0x82],
        ]
        var generator = SystemRandomNumberGenerator()
        for index in 0..<3000 {
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...24, using: &generator) {
                bytes += alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
            }
            let path = Self.write(directory, "f\(index).csv", bytes)
            func outcome(_ building: Bool) -> String {
                do {
                    let reader = try format.reader(path: path, building: building, namespaces: [:])
                    var count = 0
                    if building {
                        while try reader.next() != nil { count += 1 }
                    } else {
                        while try reader.skip() { count += 1 }
                    }
                    return "\(count) records"
                } catch is FileFormatError {
                    // Which of two faults in one record is named first may differ (the scan checks UTF-8 as it
                    // goes, the reader once the record is complete); that the file is refused may not.
                    return "refused"
                } catch {
                    return "\(error)"
                }
            }
            let fast = outcome(false)
            let full = outcome(true)
            #expect(fast == full, "\(bytes.map { String(format: "%02x", $0) }.joined(separator: " "))")
            if fast != full { break }
        }
    }

    // MARK: Fixed width

    static let fixedWidth = FixedWidthFormat(
        recordTypes: [
            RecordTypeDefinition(
                role: .header, prefix: "H",
                columns: [ColumnDefinition(name: "run_date", start: 2, length: 8)]),
            RecordTypeDefinition(
                role: .detail, prefix: "D",
                columns: [
                    ColumnDefinition(name: "site", start: 2, length: 6),
                    ColumnDefinition(name: "ndc", start: 8, length: 13),
                    ColumnDefinition(name: "qty_on_hand", type: .decimal, start: 21, length: 8),
                    ColumnDefinition(name: "uom", start: 29, length: 2),
                ]),
            RecordTypeDefinition(
                role: .trailer, prefix: "T",
                columns: [
                    ColumnDefinition(name: "record_count", start: 2, length: 6),
                    ColumnDefinition(name: "total_qty", start: 8, length: 10),
                ]),
        ],
        controlTotals: [
            ControlTotal(trailerColumn: "record_count", kind: .count),
            ControlTotal(trailerColumn: "total_qty", kind: .sum(column: "qty_on_hand")),
        ])

    static func detail(_ site: String, _ ndc: String, _ qty: String, _ uom: String) -> String {
        "D" + site.padding(toLength: 6, withPad: " ", startingAt: 0)
            + ndc.padding(toLength: 13, withPad: " ", startingAt: 0)
            + String(repeating: " ", count: 8 - qty.count) + qty + uom
    }

    static func fixedWidthFile(_ details: [String], count: Int? = nil, total: String) -> String {
        let trailer =
            "T" + String(format: "%06d", count ?? details.count) + String(repeating: "0", count: 10 - total.count)
            + total
        return (["H20261124"] + details + [trailer]).joined(separator: "\n") + "\n"
    }

    @Test("Fixed-width: record types by prefix, trimmed columns, control totals checked")
    func fixedWidthReading() throws {
        let directory = TemporaryDirectory()
        let details = [
            Self.detail("NORTH", "00071015523", "12.00", "EA"), Self.detail("SOUTH", "00093714656", "3.50", "BX"),
        ]
        let path = Self.write(directory, "STOCK.dat", Array(Self.fixedWidthFile(details, total: "15.50").utf8))
        let records = try Self.records(.fixedWidth(Self.fixedWidth), path)
        #expect(
            records.map(\.values) == [
                ["site": "NORTH", "ndc": "00071015523", "qty_on_hand": "12.00", "uom": "EA"],
                ["site": "SOUTH", "ndc": "00093714656", "qty_on_hand": "3.50", "uom": "BX"],
            ])
        #expect(records.map(\.line) == [2, 3])
    }

    @Test("Fixed-width errors: a truncated record, a trailer whose totals do not match, a missing trailer")
    func fixedWidthErrors() throws {
        let directory = TemporaryDirectory()
        let good = Self.detail("NORTH", "00071015523", "12.00", "EA")
        let truncated = Self.write(
            directory, "truncated.dat",
            Array(Self.fixedWidthFile([good, String(good.prefix(24))], total: "24.00").utf8))
        let truncatedError = try #require(Self.formatError(.fixedWidth(Self.fixedWidth), truncated))
        #expect(truncatedError.line == 3)
        #expect(truncatedError.record == 2)
        #expect(truncatedError.column == 25)
        #expect(truncatedError.message.contains("truncated record"))

        let wrongCount = Self.write(
            directory, "count.dat", Array(Self.fixedWidthFile([good, good], count: 3, total: "24.00").utf8))
        let countError = try #require(Self.formatError(.fixedWidth(Self.fixedWidth), wrongCount))
        #expect(countError.line == 4)
        #expect(countError.message.contains("'record_count' says '000003', but the file has 2 detail records"))

        let wrongSum = Self.write(directory, "sum.dat", Array(Self.fixedWidthFile([good, good], total: "25.00").utf8))
        let sumError = try #require(Self.formatError(.fixedWidth(Self.fixedWidth), wrongSum))
        #expect(sumError.message.contains("'total_qty'"))
        #expect(sumError.column == 8)

        let noTrailer = Self.write(directory, "cut.dat", Array(("H20261124\n" + good + "\n").utf8))
        #expect(Self.formatError(.fixedWidth(Self.fixedWidth), noTrailer)?.message.contains("no trailer") == true)
    }

    @Test("A fixed-width part keeps the header and recomputes the trailer in the original's layout")
    func fixedWidthPart() throws {
        let directory = TemporaryDirectory()
        let details = [
            Self.detail("NORTH", "00071015523", "12.00", "EA"), Self.detail("SOUTH", "00093714656", "3.50", "BX"),
            Self.detail("EAST", "00002322730", "7.25", "EA"),
        ]
        let path = Self.write(directory, "STOCK.dat", Array(Self.fixedWidthFile(details, total: "22.75").utf8))
        let format = FileFormatDefinition.fixedWidth(Self.fixedWidth)
        let reader = try format.reader(path: path, building: true, namespaces: [:])
        let sink = try FileSink(finalPath: directory.file("part.dat"))
        let part = try format.partWriter(to: sink, prologue: reader.prologue)
        while let record = try reader.next() {
            if record.values["site"] != "SOUTH" { try part.add(record) }
        }
        try part.finish(closing: reader.closing)
        try FileSink.publish(temporaryPath: sink.temporaryPath, finalPath: sink.finalPath)
        let written = try String(contentsOfFile: directory.file("part.dat"), encoding: .utf8)
        #expect(written == Self.fixedWidthFile([details[0], details[2]], total: "19.25"))
        #expect(Self.formatError(format, directory.file("part.dat")) == nil, "the part is a valid file of its format")
    }

    // MARK: XML

    static let xmlFormat = XMLRecordFormat(
        record: "//inv:Item",
        fields: [ColumnDefinition(name: "site"), ColumnDefinition(name: "ndc"), ColumnDefinition(name: "qty_on_hand")],
        paths: ["site": "inv:Site", "ndc": "inv:NDC", "qty_on_hand": "inv:Qty"])
    static let namespaces = ["inv": "urn:example:inventory:v1"]

    static func item(_ site: String, _ ndc: String, _ qty: String) -> String {
        "<inv:Item><inv:Site>\(site)</inv:Site><inv:NDC>\(ndc)</inv:NDC><inv:Qty>\(qty)</inv:Qty></inv:Item>"
    }

    @Test("XML: records by path over the streaming reader, fields by relative XPath, parts well-formed")
    func xmlRecords() throws {
        let directory = TemporaryDirectory()
        let text =
            "<?xml version=\"1.0\"?>\n<inv:Stock xmlns:inv=\"urn:example:inventory:v1\" run=\"2026-11-24\">\n"
            + Self.item("NORTH", "0001", "12") + "\n" + Self.item("SOUTH &amp; annex", "0002", "3.5") + "\n"
            + Self.item("EAST", "0003", "7") + "\n</inv:Stock>\n"
        let path = Self.write(directory, "STOCK.xml", Array(text.utf8))
        let format = FileFormatDefinition.xml(Self.xmlFormat)
        let records = try Self.records(format, path, namespaces: Self.namespaces)
        #expect(records.map { $0.values["site"] } == ["NORTH", "SOUTH & annex", "EAST"])
        #expect(records.map(\.line) == [3, 4, 5])

        let reader = try format.reader(path: path, building: true, namespaces: Self.namespaces)
        let sink = try FileSink(finalPath: directory.file("part.xml"))
        var part: (any PartWriter)?
        while let record = try reader.next() {
            if part == nil { part = try format.partWriter(to: sink, prologue: reader.prologue) }
            if record.values["site"] != "SOUTH & annex" { try part!.add(record) }
        }
        try part!.finish(closing: reader.closing)
        try FileSink.publish(temporaryPath: sink.temporaryPath, finalPath: sink.finalPath)
        let written = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.file("part.xml"))))
        let document = try XMLDocument.parse(written)
        #expect(try document.string("count(//inv:Item)", namespaces: Self.namespaces) == "2")
        #expect(try document.string("/inv:Stock/@run", namespaces: Self.namespaces) == "2026-11-24")
        let reread = try Self.records(format, directory.file("part.xml"), namespaces: Self.namespaces)
        #expect(reread.map { $0.values["ndc"] } == ["0001", "0003"])
    }

    @Test("XML: a DOCTYPE (XXE) is refused, a broken document names its line")
    func xmlHostile() throws {
        let directory = TemporaryDirectory()
        let format = FileFormatDefinition.xml(Self.xmlFormat)
        let xxe = Self.write(
            directory, "xxe.xml",
            Array(
                ("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>"
                    + "<inv:Stock xmlns:inv=\"urn:example:inventory:v1\">" + Self.item("&e;", "1", "1")
                    + "</inv:Stock>").utf8))
        let refused = try #require(Self.formatError(format, xxe, namespaces: Self.namespaces))
        #expect(refused.message.contains("DOCTYPE"))
        #expect(!refused.description.contains("root:"), "nothing was read from /etc/passwd")

        let broken = Self.write(
            directory, "broken.xml",
            Array(
                ("<inv:Stock xmlns:inv=\"urn:example:inventory:v1\">\n" + Self.item("A", "1", "1") + "\n"
                    + "<inv:Item><inv:Site>B</inv:Sit></inv:Item>\n</inv:Stock>\n").utf8))
        let error = try #require(Self.formatError(format, broken, namespaces: Self.namespaces))
        #expect(error.line == 3)
        #expect(error.file == "broken.xml")
    }
}
