/**
 * The agent metadata contract (commit a file, plan a fetch, list offsets, topic names), its
 * limits and patterns defined once. The HTTP schemas (api/schemas/log-metadata.ts, and so
 * the OpenAPI document) and the sequencer's validators (validate-commit.ts,
 * validate-reads.ts, topic-rules.ts) both read them, so the edge and the core cannot
 * disagree. Patterns are JSON-Schema strings; `regex` compiles them for the validators.
 */

export const MAX_INT32 = 2 ** 31 - 1;
export const MAX_UINT32 = 2 ** 32 - 1;

/** Kafka topic names: 1..249 of [a-zA-Z0-9._-], and not "." or "..". */
export const MAX_TOPIC_NAME_LENGTH = 249;
export const TOPIC_NAME_PATTERN = `^[a-zA-Z0-9._-]{1,${MAX_TOPIC_NAME_LENGTH}}$`;
/** Kafka partition numbers are int32. */
export const MAX_PARTITION_NUMBER = MAX_INT32;

/** A commit: at most this many batches (one journal entry must stay far below 400 KB). */
export const MAX_BATCHES_PER_COMMIT = 5000;
/** A multi-file commit request (POST …/files/batch): at most this many files. */
export const MAX_FILES_PER_COMMIT_REQUEST = 32;
export const MAX_REPLICAS = 8;
/** Largest file (and so largest byte offset + length) a commit may describe: 1 TiB. */
export const MAX_FILE_BYTES = 2 ** 40;
/** 9999-12-31T23:59:59.999Z; -1 means "no timestamp". */
export const MAX_TIMESTAMP_MS = 253_402_300_799_999;
export const MAX_BATCH_BYTES = MAX_UINT32;
export const MAX_RECORDS_PER_BATCH = MAX_INT32;

/** The agent's idempotency key for a file. */
export const MAX_FILE_ID_LENGTH = 128;
export const FILE_ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._:-]{0,${MAX_FILE_ID_LENGTH - 1}}$`;
/** Free text the store keeps (object keys, buckets, checksums): no control characters. */
export const TEXT_PATTERN = '^[^\\u0000-\\u001f\\u007f]+$';
/** Lengths of free text in UTF-8 bytes (the schemas state them as a character bound too). */
export const MAX_OBJECT_KEY_BYTES = 1024;
export const MAX_BUCKET_BYTES = 1024;
export const MAX_CHECKSUM_BYTES = 256;
/** Region names, as clusters name them. */
export const REGION_PATTERN = '^[a-z]{2,}(-[a-z0-9]+)+$';
export const MAX_REGION_LENGTH = 32;

/** Idempotent producers: all three fields or none; Kafka's -1 counts as none. */
export const NO_PRODUCER = -1;
export const MAX_PRODUCER_ID = Number.MAX_SAFE_INTEGER;
export const MAX_PRODUCER_EPOCH = 32767;
export const MAX_SEQUENCE = MAX_INT32;

/** Reads (fetch plan, list offsets). */
export const MAX_PARTITIONS_PER_READ = 10_000;
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;
/** 0 is a valid budget, as in Kafka: the first batch of the response still goes out. */
export const MIN_FETCH_BYTES = 0;
export const MAX_FETCH_BYTES = MAX_INT32;
/** -1 latest, -2 earliest, -3 max timestamp, else epoch milliseconds. */
export const MIN_LIST_OFFSETS_TIMESTAMP = -3;
export const MAX_LIST_OFFSETS_TIMESTAMP = Number.MAX_SAFE_INTEGER;

/** A JSON-Schema pattern as a RegExp (`u`, so that `\u` escapes read the same in both). */
export const regex = (pattern: string) => new RegExp(pattern, 'u');
