-- Saved team reviews. Portable SQL: the same text runs on SQLite and PostgreSQL.
-- Times are milliseconds since the Unix epoch; JSON documents are TEXT.

-- One review. `version` grows by one with every change (creation is 1) and is what clients
-- send back to detect concurrent edits; `revision` is the number of the current analysis.
CREATE TABLE reviews (
    id          TEXT PRIMARY KEY,
    name        TEXT,
    version     BIGINT NOT NULL,
    revision    BIGINT NOT NULL,
    created_ms  BIGINT NOT NULL,
    updated_ms  BIGINT NOT NULL
);
CREATE INDEX reviews_by_created ON reviews (created_ms);

-- Every template version analysed, with its inputs and the report it produced.
CREATE TABLE revisions (
    review_id    TEXT NOT NULL REFERENCES reviews (id),
    number       BIGINT NOT NULL,
    template     TEXT NOT NULL,
    metrics      TEXT NOT NULL,
    ignore_rules TEXT NOT NULL,
    report       TEXT NOT NULL,
    created_ms   BIGINT NOT NULL,
    PRIMARY KEY (review_id, number)
);

-- The team's state of each finding ever reported in a review, by stable key. `present` is 1
-- while the current revision reports it; vanished findings stay (status fixed) as history.
CREATE TABLE findings (
    review_id      TEXT NOT NULL REFERENCES reviews (id),
    finding_key    TEXT NOT NULL,
    status         TEXT NOT NULL,
    present        BIGINT NOT NULL,
    position       BIGINT NOT NULL,
    first_revision BIGINT NOT NULL,
    last_revision  BIGINT NOT NULL,
    finding        TEXT NOT NULL,
    PRIMARY KEY (review_id, finding_key)
);

-- Comments on findings. `version` is the review version the comment created: unique within a
-- review, and the order comments were made in.
CREATE TABLE comments (
    review_id   TEXT NOT NULL REFERENCES reviews (id),
    version     BIGINT NOT NULL,
    finding_key TEXT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (review_id, version)
);

-- The change log: one event per version, written in the same transaction as the change. Live
-- viewers are sent the events after the version they have, so a missed notification only
-- delays an event, never loses it.
CREATE TABLE events (
    review_id   TEXT NOT NULL REFERENCES reviews (id),
    version     BIGINT NOT NULL,
    kind        TEXT NOT NULL,
    data        TEXT NOT NULL,
    created_ms  BIGINT NOT NULL,
    PRIMARY KEY (review_id, version)
);
