package dev.llmgateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.llmgateway.deploy.Dockerfile.Instruction;
import dev.llmgateway.deploy.Dockerfile.Stage;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class DockerfileTest {
    private static final Dockerfile DOCKERFILE = Dockerfile.parse(DeployFiles.deployDir().resolve("Dockerfile"));
    private static final String QUARKUS_APP = "gateway/target/quarkus-app/";

    @Test
    void buildsWithMavenOnTemurin21AndRunsOnATemurin21Jre() {
        assertThat(DOCKERFILE.stages()).hasSizeGreaterThanOrEqualTo(2);
        Stage build = DOCKERFILE.stages().get(0);
        assertThat(build.image()).startsWith("maven:").contains("eclipse-temurin-21");
        assertThat(build.name()).isNotBlank();
        assertThat(build.all("RUN")).anySatisfy(run ->
                assertThat(run.args()).contains("mvn").contains(" install").contains("-DskipTests").contains("-B"));
        assertThat(DOCKERFILE.runtime().image()).startsWith("eclipse-temurin:21").contains("jre");
    }

    @Test
    void copiesThePomOfEveryModuleBeforeAnySourcesSoDependenciesAreACachedLayer() {
        List<String> steps = DOCKERFILE.stages().get(0).instructions().stream().map(i -> i.keyword() + " " + i.args()).toList();
        List<String> poms = new ArrayList<>();
        int firstSources = -1;
        for (int i = 0; i < steps.size(); i++) {
            if (!steps.get(i).startsWith("COPY ")) continue;
            List<String> copied = sources(DOCKERFILE.stages().get(0).instructions().get(i));
            if (copied.stream().allMatch(s -> s.endsWith("pom.xml"))) {
                assertThat(firstSources).as(steps.get(i) + " comes before the sources").isEqualTo(-1);
                poms.addAll(copied);
            } else if (firstSources < 0) {
                firstSources = i;
            }
        }
        assertThat(firstSources).as("sources are copied").isPositive();
        assertThat(poms).contains("pom.xml");
        List<String> modules = new ArrayList<>(rootModules());
        modules.add("deploy"); // added to the root pom on merge; its pom must then be in the context too
        for (String module : modules) assertThat(poms).as("poms copied before the sources").contains(module + "/pom.xml");
        int dependencyRun = indexOf(steps, s -> s.startsWith("RUN") && s.contains("mvn"));
        assertThat(dependencyRun).as("a Maven run (dependency download) before the sources are copied").isBetween(0, firstSources);
    }

    @Test
    void copiesTheGatewayAndEveryModuleItDependsOn() {
        Matcher m = Pattern.compile("<groupId>dev\\.llmgateway</groupId>\\s*<artifactId>([^<]+)</artifactId>")
                .matcher(DeployFiles.read(DeployFiles.repoRoot().resolve("gateway/pom.xml")));
        List<String> needed = new ArrayList<>(List.of("gateway"));
        while (m.find()) if (!m.group(1).equals("gateway-parent")) needed.add(m.group(1));
        assertThat(needed).hasSizeGreaterThan(1);
        List<String> copied = new ArrayList<>();
        for (Instruction i : DOCKERFILE.stages().get(0).all("COPY")) copied.addAll(sources(i));
        for (String module : needed) assertThat(copied).as("module folders copied into the build stage").contains(module);
    }

    @Test
    void everyFileCopiedFromTheBuildContextExistsAndIsNotIgnored() {
        List<PathMatcher> ignored = new ArrayList<>();
        for (String line : DeployFiles.read(DeployFiles.deployDir().resolve("Dockerfile.dockerignore")).split("\n")) {
            String p = line.strip();
            if (p.isEmpty() || p.startsWith("#") || p.startsWith("!")) continue;
            ignored.add(FileSystems.getDefault().getPathMatcher("glob:" + p));
        }
        List<String> checked = new ArrayList<>();
        for (Stage stage : DOCKERFILE.stages()) {
            for (Instruction copy : stage.all("COPY")) {
                if (copy.hasOption("--from")) continue;
                for (String source : sources(copy)) {
                    assertThat(DeployFiles.repoRoot().resolve(source)).as("COPY " + source + " (context = repository root)").exists();
                    for (Path p = Path.of(source); p != null; p = p.getParent()) {
                        Path candidate = p;
                        assertThat(ignored).as(source + " is excluded by Dockerfile.dockerignore").noneMatch(m -> m.matches(candidate));
                    }
                    checked.add(source);
                }
            }
        }
        assertThat(checked).contains("gateway", "gateway/pom.xml");
    }

    @Test
    void theIgnoreFileKeepsBuildOutputDataAndGitOutOfTheContext() {
        List<String> patterns = DeployFiles.read(DeployFiles.deployDir().resolve("Dockerfile.dockerignore")).lines().map(String::strip).toList();
        assertThat(patterns).contains(".git", "**/target", "data", "*.gguf");
    }

    @Test
    void theDockerignoreListInTheOperationsGuideMatchesTheIgnoreFile() {
        List<String> patterns = DeployFiles.read(DeployFiles.deployDir().resolve("Dockerfile.dockerignore")).lines()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        String guide = DeployFiles.read(DeployFiles.repoRoot().resolve("docs/operations.md"));
        int heading = guide.indexOf(".dockerignore)");
        assertThat(heading).as("docs/operations.md has a .dockerignore section").isPositive();
        int start = guide.indexOf("```\n", heading) + 4;
        List<String> documented = guide.substring(start, guide.indexOf("```", start)).lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        assertThat(documented).isEqualTo(patterns);
    }

    @Test
    void theRuntimeStageCopiesTheQuarkusAppFromTheBuildStage() {
        String buildName = DOCKERFILE.stages().get(0).name();
        List<String> fromBuild = new ArrayList<>();
        for (Instruction copy : DOCKERFILE.runtime().all("COPY")) {
            if (buildName.equals(copy.option("--from"))) fromBuild.addAll(sources(copy));
        }
        for (String part : List.of("lib/", "app/", "quarkus/", "quarkus-run.jar")) {
            assertThat(fromBuild).as("copied from stage " + buildName).anyMatch(s -> s.endsWith(QUARKUS_APP + part));
        }
        assertThat(DOCKERFILE.runtime().all("ENTRYPOINT").get(0).args()).contains("quarkus-run.jar");
    }

    @Test
    void theRuntimeRunsAsTheNumericNonRootUserThatKubernetesExpects() {
        List<Instruction> users = DOCKERFILE.runtime().all("USER");
        assertThat(users).isNotEmpty();
        String user = users.get(users.size() - 1).args().split(":")[0];
        assertThat(user).as("a numeric uid, so runAsNonRoot can verify it").matches("[0-9]+").isNotEqualTo("0");
        assertThat(DeployFiles.read(DeployFiles.kubernetesDir().resolve("deployment.yaml"))).contains("runAsUser: " + user);
    }

    @Test
    void theRuntimeExposesThePortThatTheProbesAndComposeUse() {
        List<String> exposed = DOCKERFILE.runtime().all("EXPOSE").stream().flatMap(e -> e.operands().stream()).map(p -> p.split("/")[0]).toList();
        assertThat(exposed).containsExactly("8080");
        assertThat(DeployFiles.read(DeployFiles.kubernetesDir().resolve("deployment.yaml"))).contains("containerPort: 8080");
        assertThat(envValue("QUARKUS_HTTP_PORT")).isEqualTo("8080");
    }

    @Test
    void theHealthcheckCallsTheLivenessEndpointOnTheExposedPort() {
        List<Instruction> checks = DOCKERFILE.runtime().all("HEALTHCHECK");
        assertThat(checks).hasSize(1);
        assertThat(checks.get(0).args()).contains("CMD").contains(":8080" + DeployFiles.LIVE);
    }

    @Test
    void theDataDirectoryIsAVolumeOwnedByTheRuntimeUserAndJavaOptionsAreContainerAware() {
        String dataDir = envValue("GATEWAY_DATA_DIR");
        assertThat(dataDir).isEqualTo("/data");
        assertThat(DOCKERFILE.runtime().all("VOLUME")).anySatisfy(v -> assertThat(v.args()).contains("\"" + dataDir + "\""));
        assertThat(DOCKERFILE.runtime().all("RUN")).anySatisfy(r -> assertThat(r.args()).contains("chown").contains(dataDir));
        int volume = indexOf(DOCKERFILE.runtime().instructions().stream().map(Instruction::keyword).toList(), "VOLUME"::equals);
        int chown = indexOf(DOCKERFILE.runtime().instructions().stream().map(i -> i.keyword() + " " + i.args()).toList(), s -> s.contains("chown"));
        assertThat(chown).as("ownership is set before VOLUME (later changes to a volume are discarded)").isLessThan(volume);
        assertThat(envValue("JAVA_OPTS")).contains("MaxRAMPercentage");
        assertThat(DOCKERFILE.runtime().all("ENTRYPOINT").get(0).args()).contains("exec java $JAVA_OPTS");
        assertThat(envValue("GATEWAY_CONFIG")).isEqualTo("/config/gateway.yaml");
    }

    @Test
    void theParserJoinsContinuationLinesAndSkipsComments() {
        Dockerfile d = Dockerfile.parse("""
                # syntax=docker/dockerfile:1
                FROM a:1 AS one
                RUN echo a \\
                  # a comment inside a continuation
                  && echo b
                FROM b:2
                USER 10001:10001
                """);
        assertThat(d.stages()).extracting(Stage::image).containsExactly("a:1", "b:2");
        assertThat(d.stages().get(0).name()).isEqualTo("one");
        assertThat(d.stages().get(0).all("RUN").get(0).args()).isEqualTo("echo a  && echo b");
        assertThat(d.runtime().all("USER").get(0).args()).isEqualTo("10001:10001");
    }

    // ---- helpers ----

    /** COPY sources (every operand but the destination). */
    private static List<String> sources(Instruction copy) {
        List<String> ops = copy.operands();
        return ops.subList(0, ops.size() - 1).stream().map(s -> s.startsWith("./") ? s.substring(2) : s)
                .map(s -> s.length() > 1 && s.endsWith("/") && !s.contains("quarkus-app") ? s.substring(0, s.length() - 1) : s).toList();
    }

    private static String envValue(String name) {
        Pattern p = Pattern.compile("(?:^|\\s)" + name + "=(\"[^\"]*\"|\\S+)");
        for (Instruction env : DOCKERFILE.runtime().all("ENV")) {
            Matcher m = p.matcher(env.args());
            if (m.find()) return m.group(1).replaceAll("^\"|\"$", "");
        }
        throw new AssertionError("runtime stage sets no ENV " + name);
    }

    private static List<String> rootModules() {
        Matcher m = Pattern.compile("<module>\\s*([^<\\s]+)\\s*</module>").matcher(DeployFiles.read(DeployFiles.repoRoot().resolve("pom.xml")));
        List<String> out = new ArrayList<>();
        while (m.find()) out.add(m.group(1));
        assertThat(out).as("modules of the root pom.xml").contains("gateway");
        return out;
    }

    private static <T> int indexOf(List<T> list, java.util.function.Predicate<T> p) {
        for (int i = 0; i < list.size(); i++) if (p.test(list.get(i))) return i;
        return -1;
    }
}
