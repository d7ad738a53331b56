package onetrans;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The portal simulator ({@code onetrans-portal}, named by the system property
 * {@code onetrans.portal}) as a child process on a free port of 127.0.0.1, with the vendor's
 * example apps and one SM2 app ({@link Keys}).
 */
final class Simulator implements AutoCloseable {
    private static final String PREFIX = "listening on ";

    private final Process process;
    final String baseUrl;

    private Simulator(Process process, String baseUrl) {
        this.process = process;
        this.baseUrl = baseUrl;
    }

    static Simulator start() throws IOException, InterruptedException {
        String binary = System.getProperty("onetrans.portal");
        if (binary == null) {
            throw new IllegalStateException("-Donetrans.portal=PATH of onetrans-portal is needed");
        }
        List<String> command = new ArrayList<>(List.of(binary, "--port", "0", "--app", Keys.SM2_APP_ENTRY));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        BufferedReader lines = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> firstUrl(lines));
        try {
            String base = url.get(30, TimeUnit.SECONDS);
            // Keep draining its output so that it never blocks on a full pipe.
            Thread drain = new Thread(() -> drain(lines), "simulator-output");
            drain.setDaemon(true);
            drain.start();
            return new Simulator(process, base);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IOException("the simulator did not start: " + e, e);
        }
    }

    /** Reads lines until the "listening on URL" one (returns its URL) or the end (null). */
    private static String firstUrl(BufferedReader lines) {
        try {
            for (String line; (line = lines.readLine()) != null;) {
                int at = line.indexOf(PREFIX);
                if (at >= 0) {
                    return line.substring(at + PREFIX.length()).trim();
                }
            }
            return null;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void drain(BufferedReader lines) {
        try {
            while (lines.readLine() != null) {
                // discarded
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** A port of 127.0.0.1 where nothing listens (bound, then closed). */
    static int closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
