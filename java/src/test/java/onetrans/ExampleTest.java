package onetrans;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import demo.AmpGatewayClientDemo;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.junit.jupiter.api.Test;

/** The README's Java example is {@code java/examples/demo/AmpGatewayClientDemo.java}, and it runs. */
class ExampleTest {
    private static Path repo() {
        return Paths.get(System.getProperty("onetrans.repo", ".."));
    }

    @Test
    void theVendorsDemoShapeRunsAgainstTheSimulator() throws Exception {
        try (Simulator portal = Simulator.start()) {
            GatewayResponse r = AmpGatewayClientDemo.orgPushMsg(portal.baseUrl + "/api/amp/hos");
            assertTrue(r.isSuccess(), r::toString);
            assertEquals("SUCCESS", r.getParam().get("response").asText());
        }
    }

    @Test
    void bothReadmesShowTheExampleVerbatim() throws Exception {
        String example = Files.readString(repo().resolve("java/examples/demo/AmpGatewayClientDemo.java"),
                StandardCharsets.UTF_8);
        for (String readme : new String[] {"README.md", "windows/README.md"}) {
            String text = Files.readString(repo().resolve(readme), StandardCharsets.UTF_8);
            assertTrue(text.contains("```java\n" + example + "```\n"),
                    readme + " must hold java/examples/demo/AmpGatewayClientDemo.java verbatim in a ```java block");
        }
    }
}
