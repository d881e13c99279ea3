-- Complexity calibration shared by gateway replicas: each replica stores the score histogram of its recent window
-- per route (1024 bins over [0,1]); every replica places its strong/weak cut on the sum of all fresh rows, and a
-- reloaded or restarted router refills its window from its row, so calibration neither diverges per replica nor
-- resets on reload.
CREATE TABLE complexity_calibration (
    route      text        NOT NULL,
    replica    text        NOT NULL,
    bins       integer[]   NOT NULL CHECK (cardinality(bins) = 1024),
    samples    integer     NOT NULL CHECK (samples >= 0),
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (route, replica)
);
