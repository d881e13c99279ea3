package dev.llmgateway.metering;

import java.util.Objects;

/** A model author (a lab or a person) the operator may owe a revenue share; {@code payoutReference} says where to pay. */
public record Author(String id, String name, String payoutReference) {
    public Author {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(name, "name");
        payoutReference = payoutReference == null ? "" : payoutReference;
    }
}
