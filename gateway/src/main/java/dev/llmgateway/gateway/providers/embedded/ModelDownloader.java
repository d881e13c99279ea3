package dev.llmgateway.gateway.providers.embedded;

import dev.llmgateway.gateway.config.GatewayConfig.EngineModel.HuggingFace;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.jboss.logging.Logger;

/**
 * Makes a GGUF pinned by its SHA-256 available under {@code <models dir>/<sha256>.gguf}, downloading it once from a
 * Hugging Face endpoint ({@code <endpoint>/<repo>/resolve/<revision>/<file>}).
 *
 * <ul>
 *   <li>Cache: a file counts as present when {@code <sha256>.gguf} exists together with its marker {@code <sha256>.ok},
 *       written after the hash was verified, whose content (the size in bytes) matches the file. The hash is computed
 *       once, while downloading; later starts only compare sizes. A {@code .gguf} without a matching marker (copied in
 *       by hand, or a crash between move and marker) is hashed once more and then either marked or replaced.</li>
 *   <li>Download: streamed into {@code <sha256>.gguf.part-*} in the same folder while hashing; on a match it is moved
 *       atomically to the final name, on a mismatch (or any failure) the temporary file is deleted. A partial file
 *       never has the final name.</li>
 *   <li>Concurrency: resolves of the same hash are serialised by a lock file {@code <sha256>.lock} (other processes)
 *       and an in-process lock (other threads); whoever comes second finds the file present.</li>
 *   <li>Redirects (Hugging Face sends LFS files to a CDN) are followed, up to 10. The token is sent as
 *       {@code Authorization: Bearer} only to the endpoint's own host, never to the host a redirect points to (signed
 *       CDN URLs reject a second credential), and it is never logged.</li>
 * </ul>
 */
public final class ModelDownloader {
    private static final Logger LOG = Logger.getLogger(ModelDownloader.class);
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");
    private static final int MAX_REDIRECTS = 10;
    private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL_LOCKS = new ConcurrentHashMap<>();

    private final Path modelsDir;
    private final URI endpoint;
    private final Optional<String> token;
    private final HttpClient http;

    /**
     * @param modelsDir where models are kept (created when missing), normally {@code <GATEWAY_DATA_DIR>/models}
     * @param endpoint  the Hugging Face endpoint, e.g. {@code https://huggingface.co} (a trailing slash is ignored)
     * @param token     a Hugging Face access token for gated or private repositories
     */
    public ModelDownloader(Path modelsDir, URI endpoint, Optional<String> token) {
        this.modelsDir = modelsDir.toAbsolutePath().normalize();
        String e = endpoint.toString();
        this.endpoint = URI.create(e.endsWith("/") ? e.substring(0, e.length() - 1) : e);
        this.token = token.filter(t -> !t.isBlank());
        // Redirects are followed by hand, so that the token stays with the endpoint's host.
        this.http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(30)).build();
    }

    /** Under {@code <dataDir>/models}; endpoint from env {@code GATEWAY_HF_ENDPOINT}, token from env {@code HF_TOKEN}. */
    public static ModelDownloader fromEnvironment(Path dataDir) {
        String endpoint = System.getenv("GATEWAY_HF_ENDPOINT");
        URI uri = DEFAULT_ENDPOINT;
        if (endpoint != null && !endpoint.isBlank()) {
            try {
                uri = URI.create(endpoint.trim());
            } catch (IllegalArgumentException e) {
                throw new ModelDownloadException("GATEWAY_HF_ENDPOINT is not a URL: " + e.getMessage(), e);
            }
            if (uri.getHost() == null || !("https".equals(uri.getScheme()) || "http".equals(uri.getScheme()))) {
                throw new ModelDownloadException("GATEWAY_HF_ENDPOINT must be an http(s) URL such as https://huggingface.co, not " + endpoint);
            }
        }
        return new ModelDownloader(dataDir.resolve("models"), uri, Optional.ofNullable(System.getenv("HF_TOKEN")));
    }

    /** Where the model with this hash is (or will be) kept. */
    public Path target(String sha256) { return modelsDir.resolve(sha256.toLowerCase(Locale.ROOT) + ".gguf"); }

    /** The URL a file is downloaded from (before redirects). */
    public URI url(HuggingFace model) {
        String repo = Stream.of(model.repo().split("/")).map(ModelDownloader::encode).collect(Collectors.joining("/"));
        String file = Stream.of(model.file().split("/")).map(ModelDownloader::encode).collect(Collectors.joining("/"));
        // As huggingface_hub does: the revision is one path segment, so refs/pr/1 becomes refs%2Fpr%2F1.
        return URI.create(endpoint + "/" + repo + "/resolve/" + encode(model.revision()) + "/" + file);
    }

    /**
     * The local path of the model, downloading and verifying it first when it is not there yet.
     *
     * @throws ModelDownloadException when it cannot be downloaded, or its hash is not the pinned one
     */
    public Path resolve(HuggingFace model) {
        String sha = model.sha256().toLowerCase(Locale.ROOT);
        Path target = target(sha);
        try {
            Files.createDirectories(modelsDir);
        } catch (IOException e) {
            throw new ModelDownloadException("cannot create the models folder " + modelsDir + ": " + e, e);
        }
        ReentrantLock local = LOCAL_LOCKS.computeIfAbsent(target, t -> new ReentrantLock());
        local.lock();
        try (FileChannel lockFile = FileChannel.open(modelsDir.resolve(sha + ".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = lockFile.lock()) {
            if (present(model, target)) {
                LOG.infof("Model %s/%s (sha256 %s): using %s", model.repo(), model.file(), sha, target);
                return target;
            }
            download(model, target);
            return target;
        } catch (IOException e) {
            String why = e instanceof java.net.ConnectException || e instanceof java.net.UnknownHostException
                    || e instanceof java.net.http.HttpConnectTimeoutException
                    ? e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage()) + " (no connection to "
                      + endpoint.getHost() + ": no internet here? Behind a proxy or mirror set GATEWAY_HF_ENDPOINT, or put the file in "
                      + "place and use engine.path)"
                    : e.toString();
            throw new ModelDownloadException("cannot download " + describe(model) + " into " + modelsDir + ": " + why, e);
        } finally {
            local.unlock();
        }
    }

    /** True when the target is there and verified; a file that turns out not to match is deleted. */
    private boolean present(HuggingFace model, Path target) throws IOException {
        if (!Files.isRegularFile(target)) return false;
        Path marker = marker(target);
        long size = Files.size(target);
        try {
            if (Long.parseLong(Files.readString(marker).trim()) == size) return true;
        } catch (NoSuchFileException | NumberFormatException e) {
            // no (valid) marker: hash it below
        }
        LOG.infof("Model %s: verifying the sha256 of %s (%,d bytes)", describe(model), target, size);
        MessageDigest digest = sha256();
        try (InputStream in = Files.newInputStream(target)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) digest.update(buf, 0, n);
        }
        String actual = HexFormat.of().formatHex(digest.digest());
        if (actual.equals(model.sha256().toLowerCase(Locale.ROOT))) {
            writeMarker(target, size);
            return true;
        }
        LOG.warnf("Model %s: %s has sha256 %s, not the pinned %s; downloading it again", describe(model), target, actual, model.sha256());
        Files.deleteIfExists(marker);
        Files.delete(target);
        return false;
    }

    private void download(HuggingFace model, Path target) throws IOException {
        String expected = model.sha256().toLowerCase(Locale.ROOT);
        URI url = url(model);
        // Leftovers of an earlier process that died mid-download (we hold the lock, so nobody else writes them).
        try (Stream<Path> old = Files.list(modelsDir)) {
            for (Path p : old.filter(p -> p.getFileName().toString().startsWith(expected + ".gguf.part-")).toList()) Files.deleteIfExists(p);
        }
        LOG.infof("Model %s: downloading from %s into %s", describe(model), url, target);
        long started = System.nanoTime();
        Path part = Files.createTempFile(modelsDir, expected + ".gguf.part-", "");
        try {
            long size;
            try (OutputStream out = Files.newOutputStream(part, StandardOpenOption.WRITE)) {
                size = copyVerified(model, url, expected, out);
            }
            move(part, target);
            writeMarker(target, size);
            LOG.infof("Model %s: downloaded and verified %,d bytes in %d s -> %s", describe(model), size,
                    Duration.ofNanos(System.nanoTime() - started).toSeconds(), target);
        } finally {
            // After the move this is a no-op; on any failure the partial file goes.
            Files.deleteIfExists(part);
        }
    }

    /** Streams the file into {@code out} while hashing; returns its size once the hash matched. */
    private long copyVerified(HuggingFace model, URI url, String expected, OutputStream out) throws IOException {
        HttpResponse<InputStream> response = open(model, url);
        try (InputStream in = response.body()) {
            long total = response.headers().firstValueAsLong("Content-Length").orElse(-1);
            if (total > 0) {
                long free = Files.getFileStore(modelsDir).getUsableSpace();
                if (free < total) {
                    throw new ModelDownloadException("cannot download " + describe(model) + ": it needs " + total + " bytes, "
                            + modelsDir + " has " + free + " free");
                }
            }
            MessageDigest digest = sha256();
            byte[] buf = new byte[1 << 16];
            long received = 0;
            long nextLog = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            for (int n; (n = in.read(buf)) > 0; ) {
                digest.update(buf, 0, n);
                out.write(buf, 0, n);
                received += n;
                if (System.nanoTime() > nextLog) {
                    nextLog = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    LOG.infof("Model %s: %s", describe(model), progress(received, total));
                }
            }
            if (total >= 0 && received != total) {
                throw new ModelDownloadException("download of " + describe(model) + " ended after " + received + " of " + total + " bytes");
            }
            String actual = HexFormat.of().formatHex(digest.digest());
            if (!actual.equals(expected)) {
                throw new ModelDownloadException("sha256 mismatch for " + describe(model) + ": expected " + expected + ", got " + actual
                        + " (" + received + " bytes); if the file changed upstream, pin a revision or update engine.huggingface.sha256");
            }
            return received;
        }
    }

    /** Sends the GET, following redirects; returns the 200 response, whose body the caller must close. */
    private HttpResponse<InputStream> open(HuggingFace model, URI url) throws IOException {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder req = HttpRequest.newBuilder(current).GET().timeout(Duration.ofSeconds(60))
                    .header("User-Agent", "llm-gateway-model-downloader");
            if (token.isPresent() && sameOrigin(current, endpoint)) req.header("Authorization", "Bearer " + token.get());
            HttpResponse<InputStream> r;
            try {
                r = http.send(req.build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
            int status = r.statusCode();
            if (status == 200) return r;
            r.body().close();
            if (status == 301 || status == 302 || status == 303 || status == 307 || status == 308) {
                Optional<String> location = r.headers().firstValue("Location");
                if (location.isEmpty()) throw new ModelDownloadException("cannot download " + describe(model) + ": redirect " + status + " without Location");
                current = current.resolve(location.get());
                // Only the host: CDN URLs carry signatures in their query.
                LOG.debugf("Model %s: redirected (%d) to %s://%s", describe(model), status, current.getScheme(), current.getAuthority());
                continue;
            }
            String hint = switch (status) {
                case 401, 403 -> token.isPresent() ? " (is the token allowed to read this repository? gated models need their terms accepted)"
                        : " (a gated or private repository needs HF_TOKEN)";
                case 404 -> " (check repo, file and revision)";
                default -> "";
            };
            throw new ModelDownloadException("cannot download " + describe(model) + " from " + url + ": HTTP " + status + hint);
        }
        throw new ModelDownloadException("cannot download " + describe(model) + " from " + url + ": more than " + MAX_REDIRECTS + " redirects");
    }

    private static void move(Path part, Path target) throws IOException {
        try {
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // Same folder, so this does not happen on ordinary file systems; never copy a partial file into place.
            throw new IOException("the file system of " + target.getParent() + " does not support an atomic rename", e);
        }
    }

    private static void writeMarker(Path target, long size) throws IOException {
        Path marker = marker(target);
        Path tmp = Files.createTempFile(target.getParent(), marker.getFileName() + ".", ".tmp");
        try {
            Files.writeString(tmp, Long.toString(size));
            Files.move(tmp, marker, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    private static Path marker(Path target) {
        String name = target.getFileName().toString();
        return target.resolveSibling(name.substring(0, name.length() - ".gguf".length()) + ".ok");
    }

    private static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme()) && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    private static int port(URI u) {
        if (u.getPort() != -1) return u.getPort();
        return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static String progress(long received, long total) {
        return total > 0 ? String.format(Locale.ROOT, "%,d of %,d bytes (%d%%)", received, total, received * 100 / total)
                : String.format(Locale.ROOT, "%,d bytes", received);
    }

    private static String describe(HuggingFace m) {
        return m.repo() + "/" + m.file() + "@" + m.revision();
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The model could not be made available; the message names repository, file and what went wrong. */
    public static final class ModelDownloadException extends RuntimeException {
        ModelDownloadException(String message) { super(message); }

        ModelDownloadException(String message, Throwable cause) { super(message, cause); }
    }
}
