import CutoverStore
import Testing

@Suite("SQL script splitting", .timeLimit(.minutes(3)))
struct SQLScriptTests {
    @Test("statements split at top-level semicolons only")
    func split() {
        let script = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'a;b');
            /* block; comment */ CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$
            BEGIN RETURN 1; END
            $$;
            DO $body$ BEGIN PERFORM 1; END $body$;
            SELECT "odd;name" FROM a;
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0].hasSuffix("CREATE TABLE a (x text DEFAULT 'a;b')"))
        #expect(statements[1].contains("BEGIN RETURN 1; END"))
        #expect(statements[2] == "DO $body$ BEGIN PERFORM 1; END $body$")
        #expect(statements[3] == #"SELECT "odd;name" FROM a"#)
    }

    @Test("a script of comments only has no statements")
    func commentsOnly() {
        #expect(SQLScript.statements(in: "-- nothing;\n/* here; */\n").isEmpty)
    }

    @Test("positional parameters are not dollar quotes")
    func parameters() {
        #expect(SQLScript.statements(in: "SELECT $1; SELECT $2").count == 2)
    }
}
