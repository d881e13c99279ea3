package dev.llmgateway.metering;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
}
