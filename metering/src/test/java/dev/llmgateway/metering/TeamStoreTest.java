package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class TeamStoreTest {
    private final TeamStore store = new TeamStore(TestDatabase.fresh());

    @Test
    void issuedKeyIsFoundBySecretButOnlyItsHashIsStored() {
        store.createTeam("search", "Search team", UseClass.COMMERCIAL);
        TeamStore.IssuedKey issued = store.issueKey("search", "ci", Optional.empty());

        assertThat(issued.secret()).startsWith("gw-").hasSizeGreaterThan(30);
        TeamStore.KeyOwner owner = store.findBySecret(issued.secret()).orElseThrow();
        assertThat(owner.team().id()).isEqualTo("search");
        assertThat(owner.key().id()).isEqualTo(issued.key().id());
        assertThat(owner.key().prefix()).isEqualTo(issued.secret().substring(0, 7));
        assertThat(store.findBySecret(issued.secret() + "x")).isEmpty();
    }

    @Test
    void revokedKeyIsReportedAsRevoked() {
        store.createTeam("ops", "Ops", UseClass.RESEARCH);
        TeamStore.IssuedKey issued = store.issueKey("ops", "k", Optional.of(List.of("gpt-4o")));
        assertThat(store.revokeKey(issued.key().id())).isTrue();
        assertThat(store.findBySecret(issued.secret()).orElseThrow().key().revoked()).isTrue();
        assertThat(store.keys("ops").get(0).allowedRoutes()).contains(List.of("gpt-4o"));
        assertThat(store.revokeKey("key_missing")).isFalse();
    }

    @Test
    void creatingATeamTwiceIsReportedAndKeepsTheFirst() {
        assertThat(store.createTeam("a", "First", UseClass.COMMERCIAL)).isEqualTo(TeamStore.CreateResult.CREATED);
        assertThat(store.createTeam("a", "Second", UseClass.RESEARCH)).isEqualTo(TeamStore.CreateResult.ALREADY_EXISTS);
        assertThat(store.team("a").orElseThrow().displayName()).isEqualTo("First");
    }

    @Test
    void keysCannotBeIssuedForUnknownTeams() {
        assertThatThrownBy(() -> store.issueKey("nobody", "k", Optional.empty())).isInstanceOf(StoreException.class);
    }

    @Test
    void rotationKeepsTheKeyIdAndAcceptsThePreviousSecretOnlyWithinTheOverlap() {
        store.createTeam("rot", "Rot", UseClass.COMMERCIAL);
        TeamStore.IssuedKey first = store.issueKey("rot", "ci", Optional.empty(), "CI pipeline", Optional.empty());
        var rotated = (TeamStore.Rotation.Rotated) store.rotateKey(first.key().id(), Duration.ofHours(24));
        String second = rotated.issued().secret();
        assertThat(second).isNotEqualTo(first.secret());
        assertThat(rotated.issued().key().id()).isEqualTo(first.key().id());
        assertThat(rotated.issued().key().description()).isEqualTo("CI pipeline");
        assertThat(rotated.issued().key().rotatedAt()).isPresent();

        TeamStore.KeyOwner old = store.findBySecret(first.secret()).orElseThrow();
        TeamStore.KeyOwner current = store.findBySecret(second).orElseThrow();
        assertThat(old.previousSecret()).isTrue();
        assertThat(current.previousSecret()).isFalse();
        Instant now = Instant.now();
        assertThat(old.expired(now)).isFalse();
        assertThat(old.expired(now.plus(Duration.ofHours(25)))).isTrue();
        assertThat(current.expired(now.plus(Duration.ofDays(365)))).isFalse();

        // A second rotation drops the first secret at once; the second one gets the new (zero) overlap.
        var again = (TeamStore.Rotation.Rotated) store.rotateKey(first.key().id(), Duration.ZERO);
        assertThat(store.findBySecret(first.secret())).isEmpty();
        assertThat(store.findBySecret(second).orElseThrow().expired(Instant.now().plusMillis(1))).isTrue();
        assertThat(store.findBySecret(again.issued().secret()).orElseThrow().expired(Instant.now())).isFalse();

        store.revokeKey(first.key().id());
        assertThat(store.rotateKey(first.key().id(), Duration.ZERO)).isInstanceOf(TeamStore.Rotation.Revoked.class);
        assertThat(store.rotateKey("key_missing", Duration.ZERO)).isInstanceOf(TeamStore.Rotation.NoSuchKey.class);
    }

    @Test
    void expiryDescriptionAndRoutesAreEditable() {
        store.createTeam("edit", "Edit", UseClass.COMMERCIAL);
        Instant past = Instant.now().minusSeconds(60).truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        TeamStore.IssuedKey k = store.issueKey("edit", "k", Optional.empty(), "", Optional.of(past));
        assertThat(store.findBySecret(k.secret()).orElseThrow().expired(Instant.now())).isTrue();

        ApiKey changed = store.updateKey(k.key().id(), new TeamStore.KeyChanges(Optional.of("renamed"), Optional.of("for the batch job"),
                Optional.of(Optional.empty()), Optional.of(Optional.of(List.of("gpt-4o"))))).orElseThrow();
        assertThat(changed.name()).isEqualTo("renamed");
        assertThat(changed.description()).isEqualTo("for the batch job");
        assertThat(changed.expiresAt()).isEmpty();
        assertThat(changed.allowedRoutes()).contains(List.of("gpt-4o"));
        assertThat(store.findBySecret(k.secret()).orElseThrow().expired(Instant.now())).isFalse();

        ApiKey unchanged = store.updateKey(k.key().id(), TeamStore.KeyChanges.none()).orElseThrow();
        assertThat(unchanged).isEqualTo(changed);
        ApiKey everyRoute = store.updateKey(k.key().id(), new TeamStore.KeyChanges(Optional.empty(), Optional.empty(),
                Optional.of(Optional.of(past)), Optional.of(Optional.empty()))).orElseThrow();
        assertThat(everyRoute.allowedRoutes()).isEmpty();
        assertThat(everyRoute.expiresAt()).contains(past);
        assertThat(store.updateKey("key_missing", TeamStore.KeyChanges.none())).isEmpty();
    }

    @Test
    void lastUsedMovesForwardOnlyInOneBatchedStatement() {
        store.createTeam("use", "Use", UseClass.COMMERCIAL);
        TeamStore.IssuedKey a = store.issueKey("use", "a", Optional.empty());
        TeamStore.IssuedKey b = store.issueKey("use", "b", Optional.empty());
        Instant t1 = Instant.parse("2026-01-01T00:00:00Z"), t2 = Instant.parse("2026-01-02T00:00:00Z");
        store.touchKeys(java.util.Map.of(a.key().id(), t2, b.key().id(), t1));
        store.touchKeys(java.util.Map.of(a.key().id(), t1));
        assertThat(store.key(a.key().id()).orElseThrow().lastUsedAt()).contains(t2);
        assertThat(store.key(b.key().id()).orElseThrow().lastUsedAt()).contains(t1);
        store.touchKeys(java.util.Map.of());
    }

    @Test
    void deletingATeamRevokesItsKeysHidesItAndKeepsItsIdTaken() {
        store.createTeam("gone", "Gone", UseClass.COMMERCIAL);
        TeamStore.IssuedKey k = store.issueKey("gone", "k", Optional.empty());
        assertThat(store.updateTeam("gone", Optional.of("Renamed"), Optional.of(UseClass.RESEARCH)).orElseThrow().useClass())
                .isEqualTo(UseClass.RESEARCH);
        assertThat(store.deleteTeam("gone")).isTrue();
        assertThat(store.deleteTeam("gone")).isFalse();
        assertThat(store.team("gone")).isEmpty();
        assertThat(store.anyTeam("gone").orElseThrow().deleted()).isTrue();
        assertThat(store.teams()).extracting(Team::id).doesNotContain("gone");
        assertThat(store.teams(true)).extracting(Team::id).contains("gone");
        assertThat(store.findBySecret(k.secret()).orElseThrow().key().revoked()).isTrue();
        assertThat(store.createTeam("gone", "Again", UseClass.COMMERCIAL)).isEqualTo(TeamStore.CreateResult.DELETED_ID);
        assertThat(store.updateTeam("gone", Optional.of("x"), Optional.empty())).isEmpty();
        assertThatThrownBy(() -> store.issueKey("gone", "k2", Optional.empty())).isInstanceOf(StoreException.class);
    }
}
