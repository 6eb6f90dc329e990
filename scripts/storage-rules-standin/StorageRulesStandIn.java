// A stand-in for the Cloud Storage rules runtime (cloud-storage-rules-runtime-*.jar), which firebase-tools
// downloads from a host this network cannot reach. It speaks the runtime's protocol (JSON lines on
// stdin/stdout, see firebase-tools lib/emulator/storage/rules/runtime.js) but does NOT evaluate
// storage.rules: it accepts every ruleset and permits any request that carries a signed-in user.
// Where the real runtime can be downloaded, scripts/bootstrap uses that instead.

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

public final class StorageRulesStandIn {
    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(-?\\d+)");
    private static final Pattern ACTION = Pattern.compile("\"action\"\\s*:\\s*\"([a-z_]+)\"");
    // The request's auth variable holds the token's claims (a map) for a signed-in user, null otherwise.
    private static final Pattern SIGNED_IN = Pattern.compile("\"auth\"\\s*:\\s*\\{\\s*\"map_value\"");

    public static void main(String[] args) throws Exception {
        System.out.println("{\"id\":-1,\"status\":\"ok\"}");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            Matcher id = ID.matcher(line);
            Matcher action = ACTION.matcher(line);
            if (!id.find() || !action.find()) {
                continue;
            }
            String result = "verify".equals(action.group(1))
                    ? "{\"permit\":" + SIGNED_IN.matcher(line).find() + "}"
                    : "{\"rulesVersion\":2}";
            System.out.println("{\"id\":" + id.group(1) + ",\"status\":\"ok\",\"result\":" + result
                    + ",\"errors\":[],\"warnings\":[]}");
            System.out.flush();
        }
    }
}
