package onetrans;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.win32.StdCallLibrary;
import java.io.File;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The shared library ({@code libonetrans.so}, {@code OneTrans.dll}) loaded through JNA: the
 * low-level call, JSON in and the library's code and output JSON back.
 *
 * <p>Thread-safe: any number of threads may call {@link #mobileTrans} at once (the library is
 * thread-safe; the {@code 000106} recovery runs on the calling thread, as the library requires).
 *
 * <p>Where the library is found ({@link #getDefault()}): the system property
 * {@value #LIBRARY_PROPERTY} (a file), then every folder of {@code java.library.path}, then the
 * folder of the jar holding this class. {@link #load(Path)} takes a path directly.
 */
public final class OneTrans {
    /** System property naming the library file, looked at first by {@link #getDefault()}. */
    public static final String LIBRARY_PROPERTY = "onetrans.library";

    /** The first output buffer: the library's default {@code outBufSize}. */
    static final int FIRST_CAPACITY = 64 * 1024;

    /** How many times a still-too-small buffer is grown before giving up (the output may grow
     * between calls only if another call on this thread replaced it, which cannot happen here). */
    private static final int MAX_GROWTH = 4;

    private static final Object DEFAULT_LOCK = new Object();
    private static volatile OneTrans defaultInstance;

    private final NativeApi lib;
    private final Path path;

    private OneTrans(NativeApi lib, Path path) {
        this.lib = lib;
        this.path = path;
    }

    /** The code and the output JSON of one call. Immutable. */
    public static final class Result {
        private final String code;
        private final String output;

        Result(String code, String output) {
            this.code = code;
            this.output = output;
        }

        /** The return code: {@code 000000}, the library's own, or the portal's passed through. */
        public String code() {
            return code;
        }

        /** The output JSON (README, section 2; spec section 6). */
        public String output() {
            return output;
        }

        /** Whether the code is {@code 000000}: the portal answered and the answer verified. */
        public boolean isOk() {
            return "000000".equals(code);
        }

        @Override
        public String toString() {
            return code + " " + output;
        }
    }

    /**
     * Loads the library from this file. Each call loads (or reuses, as the platform does) the
     * same library; keep the instance.
     *
     * @throws UnsatisfiedLinkError when the file cannot be loaded (wrong architecture, missing)
     */
    public static OneTrans load(Path file) {
        Path absolute = file.toAbsolutePath();
        if (!Files.isRegularFile(absolute)) {
            throw new UnsatisfiedLinkError(
                    "找不到动态库 " + absolute + " (the library file does not exist)");
        }
        Map<String, Object> options = Collections.emptyMap();
        if (Platform.isWindows() && !Platform.is64Bit()) {
            // 32-bit Windows: the exports are __stdcall under their plain names, as the vendor's.
            options = Collections.singletonMap(
                    Library.OPTION_CALLING_CONVENTION, StdCallLibrary.STDCALL_CONVENTION);
        }
        NativeApi lib = Native.load(absolute.toString(), NativeApi.class, options);
        return new OneTrans(lib, absolute);
    }

    /**
     * The library found by the rules in the class comment, loaded once per class loader.
     *
     * @throws UnsatisfiedLinkError naming every place looked at, when none has the library
     */
    public static OneTrans getDefault() {
        OneTrans found = defaultInstance;
        if (found != null) {
            return found;
        }
        synchronized (DEFAULT_LOCK) {
            if (defaultInstance == null) {
                defaultInstance = load(locate());
            }
            return defaultInstance;
        }
    }

    /** The file names the library has on this platform, the vendor's name first on Windows. */
    public static List<String> libraryNames() {
        if (Platform.isWindows()) {
            return Arrays.asList("OneTrans.dll", "onetrans.dll");
        }
        if (Platform.isMac()) {
            return Collections.singletonList("libonetrans.dylib");
        }
        return Collections.singletonList("libonetrans.so");
    }

    /** The places {@link #getDefault()} looks at, in order. */
    public static List<Path> candidates() {
        List<Path> places = new ArrayList<>();
        String given = System.getProperty(LIBRARY_PROPERTY);
        if (given != null && !given.isEmpty()) {
            places.add(Paths.get(given));
        }
        List<Path> folders = new ArrayList<>();
        String searchPath = System.getProperty("java.library.path", "");
        for (String folder : searchPath.split(File.pathSeparator)) {
            if (!folder.isEmpty()) {
                folders.add(Paths.get(folder));
            }
        }
        Path jarFolder = jarFolder();
        if (jarFolder != null) {
            folders.add(jarFolder);
        }
        for (Path folder : folders) {
            for (String name : libraryNames()) {
                places.add(folder.resolve(name));
            }
        }
        return places;
    }

    private static Path locate() {
        List<Path> places = candidates();
        for (Path place : places) {
            if (Files.isRegularFile(place)) {
                return place;
            }
        }
        throw new UnsatisfiedLinkError("找不到 onetrans 动态库，请用 -D" + LIBRARY_PROPERTY
                + "=文件路径 指定，或放在 java.library.path 或 jar 所在目录 (the onetrans library was"
                + " not found; give -D" + LIBRARY_PROPERTY + "=FILE, or put it in java.library.path"
                + " or beside the jar). Looked at: " + places);
    }

    /** The folder of the jar (or class folder) this class was loaded from, if known. */
    private static Path jarFolder() {
        try {
            CodeSource source = OneTrans.class.getProtectionDomain().getCodeSource();
            if (source == null || source.getLocation() == null) {
                return null;
            }
            Path where = Paths.get(source.getLocation().toURI());
            return Files.isDirectory(where) ? where : where.getParent();
        } catch (URISyntaxException | SecurityException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The loaded file. */
    public Path path() {
        return path;
    }

    /** The library's version, e.g. {@code 0.2.0}. */
    public String version() {
        return lib.OneTransVersion().getString(0, "UTF-8");
    }

    /**
     * One call: {@code input} is the vendor document's JSON ({@code data} with the connection
     * settings and the business fields, {@code orgId} beside it). The JSON goes to the library as
     * UTF-8 with {@code "charset":"utf-8"} added to {@code data} (unless it is there already),
     * so the answer comes back in UTF-8 whatever the Windows code page or {@code OneTrans.ini}
     * says; the rest of the text is passed on exactly as given.
     *
     * <p>An answer larger than the first buffer (code {@code 000106}) is fetched on this thread
     * with {@code OneTransLastOutput} into a buffer of the size the library reports: the request
     * is never sent twice.
     *
     * @throws IllegalArgumentException when {@code data.charset} is given as something other
     *     than {@code utf-8} (this binding speaks UTF-8 only), or the input holds a NUL character
     */
    public Result mobileTrans(String input) {
        if (input.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(
                    "入参含 NUL 字符 (the input holds a NUL character, which would end it early)");
        }
        byte[] in = (Json.withUtf8Charset(input) + '\0').getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[FIRST_CAPACITY];
        IntByReference needed = new IntByReference(0);
        String code = codeAt(lib.MobileTransEx(in, out, out.length, needed));
        // 000106: answered 000000 and verified, but too big. Never call again: fetch it.
        for (int i = 0; "000106".equals(code) && needed.getValue() > out.length && i < MAX_GROWTH; i++) {
            out = new byte[needed.getValue()];
            code = codeAt(lib.OneTransLastOutput(out, out.length, needed));
        }
        return new Result(code, textOf(out));
    }

    private static String codeAt(Pointer code) {
        return code == null ? "444444" : code.getString(0, "UTF-8");
    }

    /** The NUL-terminated UTF-8 text at the start of {@code buffer}. */
    private static String textOf(byte[] buffer) {
        int end = 0;
        while (end < buffer.length && buffer[end] != 0) {
            end++;
        }
        return new String(buffer, 0, end, StandardCharsets.UTF_8);
    }
}
