// Resolve pipeline records to company ids through the company-enrichment SQL API, from Java with the PostgreSQL
// JDBC driver (Debian: libpostgresql-jdbc-java, /usr/share/java/postgresql.jar).
//
//   javac -d build ResolveCompanyIds.java
//   ENRICHMENT_READER_URI='postgresql://reader:secret@127.0.0.1:5432/enrichment' \
//       java -cp build:/usr/share/java/postgresql.jar ResolveCompanyIds [FILE]
//
// The connection is a libpq URI in ENRICHMENT_READER_URI, the same variable and value as examples/node, converted
// here to a JDBC URL: postgresql://user:password@host:port/dbname?sslmode=... becomes
// jdbc:postgresql://host:port/dbname with user, password and the other query parameters as connection properties.
// JDBC connects over TCP only, so a unix socket (?host=/socket/dir) is refused. A jdbc:postgresql: URL is used as
// it is. The role must be a member of enrichment_reader and nothing else: resolution needs no other privilege.
//
// Input and output are examples/node's (see resolve.js): records as four tab-separated fields (plan_code,
// customer_name, account_name, account_number; \N for NULL), and one line per record and call,
//   function  ordinal  company_id  status  source  match_type  temp_id  request_id
// for preview_company_ids (arrays), then resolve_company_ids (arrays), then resolve_company_id (named arguments).

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Array;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public final class ResolveCompanyIds {
    private static final String NULL = "\\N";
    private static final String COLUMNS = "company_id, status, source, match_type, temp_id, request_id";

    /** A connection target: a JDBC URL and its properties. */
    record Target(String url, Properties properties) {}

    public static void main(String[] args) throws Exception {
        String uri = System.getenv("ENRICHMENT_READER_URI");
        if (uri == null || uri.isBlank()) {
            fail("set ENRICHMENT_READER_URI to a libpq URI of a role that is a member of enrichment_reader");
        }
        List<String[]> records;
        try (InputStream in = args.length > 0 ? Files.newInputStream(Path.of(args[0])) : System.in) {
            records = readRecords(in);
        }
        Target target = jdbcTarget(uri);
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
        try (Connection conn = DriverManager.getConnection(target.url(), target.properties())) {
            for (String function : new String[] {"preview_company_ids", "resolve_company_ids"}) {
                batch(conn, function, records, out);
            }
            single(conn, records, out);
        } catch (SQLException e) {
            out.flush();
            System.err.println("ResolveCompanyIds: [" + e.getSQLState() + "] " + e.getMessage());
            System.exit(1);
        }
        out.flush();
    }

    /** One call with a text[] per column (createArrayOf); element i of each array is record i. */
    private static void batch(Connection conn, String function, List<String[]> records, PrintWriter out)
            throws SQLException {
        String sql = "SELECT ordinal, " + COLUMNS + " FROM enterprise." + function
                + "(plan_codes => ?, customer_names => ?, account_names => ?, account_numbers => ?) ORDER BY ordinal";
        try (PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int column = 0; column < 4; column++) {
                String[] values = new String[records.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = records.get(i)[column];
                }
                Array array = conn.createArrayOf("text", values);
                statement.setArray(column + 1, array);
            }
            int rows = 0;
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    print(out, function, rs.getLong("ordinal"), rs);
                    rows++;
                }
            }
            if (rows != records.size()) {
                throw new SQLException(function + " returned " + rows + " rows for " + records.size() + " records");
            }
        }
    }

    /** One call per record, with named arguments. */
    private static void single(Connection conn, List<String[]> records, PrintWriter out) throws SQLException {
        String sql = "SELECT " + COLUMNS + " FROM enterprise.resolve_company_id(plan_code => ?, customer_name => ?,"
                + " account_name => ?, account_number => ?)";
        try (PreparedStatement statement = conn.prepareStatement(sql)) {
            for (int i = 0; i < records.size(); i++) {
                String[] record = records.get(i);
                for (int column = 0; column < 4; column++) {
                    statement.setString(column + 1, record[column]); // null sends SQL NULL
                }
                try (ResultSet rs = statement.executeQuery()) {
                    if (!rs.next()) {
                        throw new SQLException("resolve_company_id returned no row for record " + (i + 1));
                    }
                    print(out, "resolve_company_id", i + 1, rs);
                }
            }
        }
    }

    private static void print(PrintWriter out, String function, long ordinal, ResultSet rs) throws SQLException {
        StringBuilder line = new StringBuilder(function).append('\t').append(ordinal);
        for (String column : COLUMNS.split(", ")) {
            String value = rs.getString(column);
            line.append('\t').append(value == null ? NULL : value);
        }
        out.print(line.append('\n'));
    }

    private static List<String[]> readRecords(InputStream in) throws Exception {
        List<String[]> records = new ArrayList<>();
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        String line;
        int number = 0;
        while ((line = reader.readLine()) != null) {
            number++;
            if (line.isEmpty()) {
                continue;
            }
            String[] fields = line.split("\t", -1);
            if (fields.length != 4) {
                fail("line " + number + ": expected 4 tab-separated fields, got " + fields.length);
            }
            for (int i = 0; i < 4; i++) {
                if (fields[i].equals(NULL)) {
                    fields[i] = null;
                }
            }
            records.add(fields);
        }
        return records;
    }

    /** A libpq URI (postgresql://user:password@host:port/dbname?param=value) as a JDBC URL and properties. */
    static Target jdbcTarget(String uri) {
        Properties properties = new Properties();
        if (uri.startsWith("jdbc:postgresql:")) {
            return new Target(uri, properties);
        }
        String rest;
        if (uri.startsWith("postgresql://")) {
            rest = uri.substring("postgresql://".length());
        } else if (uri.startsWith("postgres://")) {
            rest = uri.substring("postgres://".length());
        } else {
            fail("ENRICHMENT_READER_URI must be a postgresql:// URI (or a jdbc:postgresql: URL)");
            return null;
        }
        String query = "";
        int q = rest.indexOf('?');
        if (q >= 0) {
            query = rest.substring(q + 1);
            rest = rest.substring(0, q);
        }
        String dbname = "";
        int slash = rest.indexOf('/');
        if (slash >= 0) {
            dbname = decode(rest.substring(slash + 1));
            rest = rest.substring(0, slash);
        }
        int at = rest.lastIndexOf('@');
        if (at >= 0) {
            String userinfo = rest.substring(0, at);
            rest = rest.substring(at + 1);
            int colon = userinfo.indexOf(':');
            properties.setProperty("user", decode(colon >= 0 ? userinfo.substring(0, colon) : userinfo));
            if (colon >= 0) {
                properties.setProperty("password", decode(userinfo.substring(colon + 1)));
            }
        }
        String host = rest;
        String port = "";
        int colon = rest.lastIndexOf(':');
        if (colon >= 0 && colon > rest.lastIndexOf(']')) {
            host = rest.substring(0, colon);
            port = rest.substring(colon + 1);
        }
        for (String pair : query.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = decode(eq >= 0 ? pair.substring(0, eq) : pair);
            String value = decode(eq >= 0 ? pair.substring(eq + 1) : "");
            switch (key) {
                case "host" -> host = value;
                case "port" -> port = value;
                case "dbname" -> dbname = value;
                case "user", "password" -> properties.setProperty(key, value);
                case "connect_timeout" -> properties.setProperty("connectTimeout", value);
                case "application_name", "sslmode" -> properties.setProperty(key, value);
                default -> properties.setProperty(key, value); // the JDBC driver ignores what it does not know
            }
        }
        if (host.startsWith("/")) {
            fail("JDBC connects over TCP only; ENRICHMENT_READER_URI names a unix socket (" + host
                    + "): use host 127.0.0.1 and the server's port");
        }
        if (host.isEmpty()) {
            host = "localhost";
        }
        properties.putIfAbsent("ApplicationName", properties.getProperty("application_name",
                "company-enrichment-example-java"));
        String url = "jdbc:postgresql://" + host + (port.isEmpty() ? "" : ":" + port) + "/" + dbname;
        return new Target(url, properties);
    }

    private static String decode(String value) {
        return URLDecoder.decode(value.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void fail(String message) {
        System.err.println("ResolveCompanyIds: " + message);
        System.exit(2);
    }
}
