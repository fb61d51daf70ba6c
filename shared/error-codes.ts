/**
 * Every problem `code` this API can answer, with its HTTP status, what it means and what the
 * caller should do. The one source for: the OpenAPI document's per-status problem responses,
 * the error-code reference served at /problems (the problem `type` URLs point there), and
 * the README's error-code section. test/unit/error-codes.test.ts fails when a code thrown
 * anywhere in the code is missing here.
 *
 * Adding a code: add its row here (keep the status the code is thrown with), then name it in
 * the `problems(...)` of each route that can return it.
 */
export interface ErrorCodeInfo {
  /** The status it is answered with (a few codes are answered with either of two). */
  readonly status: number | readonly number[];
  /** What happened, in one sentence. */
  readonly meaning: string;
  /** What the caller should do about it. */
  readonly action: string;
}

const RETRY = 'Retry after the Retry-After header\'s seconds; the request had no effect unless the detail says otherwise.';

export const ERROR_CODES = {
  // ── 400: the request itself is malformed ────────────────────────────────────────────────
  invalid_body: { status: 400, meaning: 'The JSON body does not match the operation\'s schema (the `errors` list says where).', action: 'Fix the fields named in `errors` and send the request again.' },
  invalid_query: { status: 400, meaning: 'A query parameter is missing, malformed or out of range.', action: 'Fix the parameters named in `errors`.' },
  invalid_path: { status: 400, meaning: 'A path parameter (usually an id) is malformed.', action: 'Use the id exactly as the API returned it (ids carry a prefix such as `vci_`).' },
  invalid_header: { status: 400, meaning: 'A request header (for example Idempotency-Key) is malformed.', action: 'Fix the header named in `errors`.' },
  invalid_request: { status: 400, meaning: 'The request is not valid for this operation (the detail names the field).', action: 'Fix the field named in `detail` or `field`.' },
  invalid_result: { status: 400, meaning: 'An agent job\'s result does not have the shape its type needs (the detail and `field` say which).', action: 'Report the result as the job type\'s schema describes (README, agent jobs).' },
  unknown_field: { status: 400, meaning: 'The body or query holds a field this operation does not know.', action: 'Remove the field (check its spelling against the schema).' },
  malformed_json: { status: 400, meaning: 'The body is not valid JSON.', action: 'Send a well-formed JSON document.' },
  malformed_msgpack: { status: 400, meaning: 'The body, sent as application/msgpack, is not one well-formed MessagePack value (maps with string keys, arrays, strings, numbers, booleans, nil; nothing after it).', action: 'Encode the body as one MessagePack value, or send it as JSON.' },
  invalid_unicode: { status: 400, meaning: 'Text in the request holds a lone UTF-16 surrogate.', action: 'Send well-formed Unicode.' },
  invalid_content_length: { status: 400, meaning: 'Content-Length does not match the body.', action: 'Let your HTTP client set Content-Length.' },
  invalid_content_type: { status: 400, meaning: 'The Content-Type header is not valid.', action: 'Send `Content-Type: application/json`.' },
  invalid_url: { status: 400, meaning: 'The request path is not valid percent-encoded UTF-8.', action: 'Percent-encode the path as UTF-8.' },
  malformed_http: { status: 400, meaning: 'The request is not valid HTTP/1.1 (the connection is closed).', action: 'Fix the client or proxy that produced the request.' },
  bad_request: { status: 400, meaning: 'The HTTP framework refused the request.', action: 'Read `detail`; fix the request.' },
  invalid_cursor: { status: 400, meaning: 'The `cursor` is not one this list returned (or belongs to another list).', action: 'Pass the `nextCursor` of the previous page unchanged, or start without a cursor.' },
  invalid_expiry: { status: 400, meaning: '`expiresAt` is in the past or not a valid time.', action: 'Give an ISO time in the future.' },
  unknown_scope: { status: 400, meaning: 'A scope in `scopes` does not exist.', action: 'Use scopes from the list in the detail.' },
  ambiguous_credentials: { status: 400, meaning: 'The token request carries both an agent key and a workload-identity request.', action: 'Send exactly one of them.' },
  invalid_identity_request: { status: 400, meaning: 'The presigned STS GetCallerIdentity request is malformed.', action: 'Presign `GetCallerIdentity` with the AWS SDK and send its method, URL, headers and body unchanged.' },
  sts_endpoint_not_allowed: { status: 400, meaning: 'The presigned request names an STS endpoint this server does not call.', action: 'Sign against a regional STS endpoint (`sts.<region>.amazonaws.com`).' },
  invalid_role_pattern: { status: 400, meaning: '`roleArnPattern` is not an IAM role ARN pattern.', action: 'Use arn:aws:iam::<accountId>:role/<name>, where the name may hold * and ? wildcards.' },
  role_path_not_supported: { status: 400, meaning: '`roleArnPattern` names an IAM path, which STS does not report and so cannot be checked.', action: 'Name the role (or a wildcard) directly after `role/`.' },
  account_mismatch: { status: 400, meaning: 'The account in `roleArnPattern` differs from `accountId`.', action: 'Use the same account in both.' },
  invalid_regions: { status: 400, meaning: '`regions` is not one region, or three distinct regions for multi-region.', action: 'Name one region, or three distinct regions.' },
  invalid_storage: { status: 400, meaning: '`storage.buckets` does not name one bucket URL per region of the cluster.', action: 'Give exactly one bucket per region in `regions`.' },
  invalid_write_quorum: { status: 400, meaning: '`storage.writeQuorum` does not fit the number of regions.', action: 'Use 1 for one region, 2 for three regions.' },
  invalid_topic_name: { status: 400, meaning: 'The topic name is not 1 to 249 letters, digits, ".", "_" and "-" (or is "." or "..").', action: 'Choose a valid Kafka topic name.' },
  invalid_partitions: { status: 400, meaning: '`partitions` is not a positive whole number within the limit.', action: 'Give a partition count from 1 up to the tier\'s limit.' },
  invalid_config: { status: 400, meaning: 'A topic config value is out of range or of the wrong type.', action: 'Fix the config entry named in `detail`.' },
  unknown_config: { status: 400, meaning: 'A topic config key is not supported.', action: 'Use `retention.ms`, `retention.bytes` or `cleanup.policy`.' },
  unsupported_cleanup_policy: { status: 400, meaning: '`cleanup.policy` is not supported (only `delete`).', action: 'Use `cleanup.policy: delete`.' },
  invalid_partition: { status: 400, meaning: 'A partition number is negative or not a whole number.', action: 'Give partitions from 0 to the topic\'s count minus one.' },
  duplicate_partition: { status: 400, meaning: 'The same topic partition appears twice in one request.', action: 'List each topic partition once.' },
  too_many_partitions: { status: 400, meaning: 'The request lists more partitions than one request may.', action: 'Split the request.' },
  invalid_offset: { status: 400, meaning: 'An offset is negative or not a whole number.', action: 'Give offsets as whole numbers from 0.' },
  invalid_timestamp: { status: 400, meaning: 'A timestamp is not epoch milliseconds (or -1, -2, -3 for list offsets).', action: 'Give epoch milliseconds.' },
  invalid_max_bytes: { status: 400, meaning: '`maxBytes` is not a positive whole number within the limit.', action: 'Give a positive `maxBytes` within the limit in `detail`.' },
  invalid_file_id: { status: 400, meaning: '`fileId` is not a valid file id.', action: 'Use 1 to 128 characters of letters, digits, ".", "_", ":" and "-", starting with a letter or digit.' },
  invalid_object_key: { status: 400, meaning: '`objectKey` is not a valid object key.', action: 'Give the object key as written to the bucket.' },
  invalid_size: { status: 400, meaning: '`sizeBytes` is not a whole number within the file size limit.', action: 'Give the file\'s size in bytes.' },
  invalid_replicas: { status: 400, meaning: '`replicas` is empty or malformed.', action: 'List each region the file was written to, with its bucket and checksum.' },
  duplicate_replica_region: { status: 400, meaning: 'Two replicas name the same region.', action: 'List each region once.' },
  no_batches: { status: 400, meaning: 'A commit lists no batches.', action: 'Commit a file with at least one batch.' },
  too_many_batches: { status: 400, meaning: 'A commit lists more batches than one commit may.', action: 'Split the file into smaller files.' },
  invalid_batch: { status: 400, meaning: 'A batch is malformed.', action: 'Fix the batch named in `detail`.' },
  invalid_byte_range: { status: 400, meaning: 'A batch\'s byteOffset or byteLength is negative or not a whole number.', action: 'Give the batch\'s byte range within the file.' },
  batch_outside_file: { status: 400, meaning: 'A batch\'s byte range ends beyond `sizeBytes`.', action: 'Check the byte ranges against the file size.' },
  overlapping_batches: { status: 400, meaning: 'Two batches of one file overlap.', action: 'Give each batch its own byte range.' },
  duplicate_batch: { status: 400, meaning: 'The same batch appears twice in one commit.', action: 'List each batch once.' },
  invalid_record_count: { status: 400, meaning: '`recordCount` is not a positive whole number.', action: 'Give the batch\'s record count.' },
  invalid_producer_fields: { status: 400, meaning: 'producerId, producerEpoch and baseSequence are not given together or are out of range.', action: 'Give all three (idempotent batch) or none.' },
  invalid_transactional_id: { status: 400, meaning: '`transactionalId` is malformed.', action: 'Give a non-empty string within the length limit, or omit it.' },
  invalid_transaction_timeout: { status: 400, meaning: '`transactionTimeoutMs` is out of range.', action: 'Give a timeout within the range in `detail`.' },
  invalid_group_id: { status: 400, meaning: 'The consumer group id is malformed.', action: 'Give a non-empty group id within the length limit.' },
  invalid_group_instance_id: { status: 400, meaning: '`groupInstanceId` is malformed.', action: 'Give a non-empty string, or omit it.' },
  invalid_member_id: { status: 400, meaning: '`memberId` is malformed.', action: 'Use the member id the join answer gave.' },
  invalid_generation: { status: 400, meaning: '`generationId` is not -1 or a generation number.', action: 'Use the generation the join answer gave.' },
  invalid_leader_epoch: { status: 400, meaning: '`leaderEpoch` is not a whole number.', action: 'Give the epoch as a whole number, or omit it.' },
  invalid_metadata: { status: 400, meaning: 'An offset\'s `metadata` is not a string.', action: 'Give metadata as a string, or omit it.' },
  too_large: { status: 400, meaning: 'A field (protocol metadata or assignments) is larger than allowed.', action: 'Shrink the field named in `field`.' },
  invalid_limit: { status: 400, meaning: '`limit` is out of range.', action: 'Give a limit within the range in `detail`.' },
  invalid_range: { status: 400, meaning: '`from` is not before `to`, or a bound is not a valid time.', action: 'Give ISO times with `from` before `to`.' },
  range_too_long: { status: 400, meaning: 'The time range is longer than one request may cover.', action: 'Ask for a shorter range (the limit is in `detail`).' },
  // ── 401: who is calling is not established ──────────────────────────────────────────────
  missing_credentials: { status: 401, meaning: 'No Authorization header.', action: 'Send `Authorization: Bearer <API key, admin token or agent token>`.' },
  malformed_credentials: { status: 401, meaning: 'The Authorization header or the credential in it is not well-formed.', action: 'Send `Authorization: Bearer <credential>` with the credential as issued.' },
  invalid_credentials: { status: 401, meaning: 'The key does not exist or its secret is wrong.', action: 'Check the key; create a new one if it was lost.' },
  credentials_expired: { status: 401, meaning: 'The API key has passed its `expiresAt`.', action: 'Create a new key.' },
  credentials_revoked: { status: 401, meaning: 'The key was revoked.', action: 'Use another key, or create one.' },
  token_expired: { status: 401, meaning: 'The JWT has expired.', action: 'Get a new token (agents: POST /agent/v1/token; admins: from the IdP or `npm run admin-token`).' },
  token_revoked: { status: 401, meaning: 'The token was issued before its credentials were revoked.', action: 'Get a new token with valid credentials.' },
  invalid_token_signature: { status: 401, meaning: 'The JWT signature does not verify.', action: 'Use a token issued by this control plane (or the configured IdP).' },
  invalid_token_claims: { status: 401, meaning: 'The JWT lacks a required claim or a claim is malformed.', action: 'Use a token issued by this control plane (or the configured IdP).' },
  invalid_token_type: { status: 401, meaning: 'The JWT `typ` header is not the one expected.', action: 'Use the kind of token this route takes.' },
  invalid_issuer: { status: 401, meaning: 'The JWT was issued by an issuer this server does not trust.', action: 'Use a token issued by this control plane (or the configured IdP).' },
  invalid_audience: { status: 401, meaning: 'The JWT is for another audience (agent, admin).', action: 'Customer routes take API keys, admin routes admin tokens, agent routes agent tokens.' },
  algorithm_not_allowed: { status: 401, meaning: 'The JWT is signed with an algorithm this server does not accept.', action: 'Use a token issued by this control plane (EdDSA).' },
  unknown_signing_key: { status: 401, meaning: 'The JWT names a signing key (`kid`) this server does not know.', action: 'Get a new token; keys rotate.' },
  identity_not_trusted: { status: 401, meaning: 'No trust rule of the cluster matches the calling AWS identity.', action: 'Add a trust rule (POST …/agent-identities) for the agent\'s role.' },
  audience_missing: { status: 401, meaning: 'The presigned STS request does not sign the audience header.', action: 'Add the audience header named in `detail` before presigning, so the signature covers it.' },
  audience_mismatch: { status: 401, meaning: 'The signed audience is not this control plane.', action: 'Sign the audience `detail` names (this deployment\'s).' },
  signature_expired: { status: 401, meaning: 'The presigned STS request is too old.', action: 'Presign a fresh request just before sending it.' },
  signature_not_yet_valid: { status: 401, meaning: 'The presigned STS request is dated in the future.', action: 'Fix the agent host\'s clock.' },
  signature_replayed: { status: 401, meaning: 'This presigned STS request was already used.', action: 'Presign a new request for every token.' },
  sts_rejected: { status: 401, meaning: 'AWS STS refused the presigned request (`stsCode` says why).', action: 'Check the agent\'s AWS credentials.' },
  // ── 403: known caller, not allowed ─────────────────────────────────────────────────────
  insufficient_scope: { status: 403, meaning: 'The API key lacks the scope this operation needs.', action: 'Use a key with that scope, or create one (POST /v1/api-keys).' },
  insufficient_role: { status: 403, meaning: 'The admin token lacks the role this operation needs.', action: 'Ask for the `admin` role (writes) or `viewer` role (reads).' },
  scope_escalation: { status: 403, meaning: 'A key tried to grant scopes it does not hold.', action: 'Create the key with a key that holds those scopes.' },
  agent_id_bound: { status: 403, meaning: 'The agent id is registered with another credential (an agent id belongs to the credential that registered it).', action: 'Use the agent\'s own key or role, or another agent id; a read-write credential may take over an id whose key was rotated.' },
  read_only_agent: { status: 403, meaning: 'A read-only agent key tried to write.', action: 'Use a read-write agent key for writing agents.' },
  missing_role: { status: 403, meaning: 'The agent did not register with the role this operation needs (`jobs` to poll for jobs).', action: 'Register the agent with that role.' },
  tenant_suspended: { status: 403, meaning: 'The tenant is suspended: its keys and agents are refused.', action: 'Contact the vendor; an admin can reactivate the tenant.' },
  tenant_deleting: { status: [403, 409], meaning: 'The tenant is being deleted: its keys are refused (403) and it cannot be changed (409).', action: 'Nothing: deletion cannot be undone.' },
  cluster_unavailable: { status: 403, meaning: 'The agent key\'s cluster is being deleted or no longer exists.', action: 'Stop the agent, or give it a key of a live cluster.' },
  // ── 404: not found (or not yours) ──────────────────────────────────────────────────────
  route_not_found: { status: 404, meaning: 'No operation has this method and path.', action: 'Check the path against /docs.' },
  tenant_not_found: { status: 404, meaning: 'The tenant does not exist.', action: 'Check the tenant id.' },
  cluster_not_found: { status: 404, meaning: 'The cluster does not exist, or is not the caller\'s.', action: 'Check the cluster id (GET /v1/clusters).' },
  api_key_not_found: { status: 404, meaning: 'The API key does not exist, or is not the caller\'s tenant\'s.', action: 'Check the key id (GET /v1/api-keys).' },
  agent_key_not_found: { status: 404, meaning: 'The agent key does not exist in this cluster.', action: 'Check the agent key id.' },
  agent_identity_not_found: { status: 404, meaning: 'The trust rule does not exist in this cluster.', action: 'Check the trust rule id.' },
  agent_not_found: { status: 404, meaning: 'The agent is not registered in this cluster.', action: 'Check the agent id.' },
  agent_not_registered: { status: 404, meaning: 'The agent beat without being registered (or was forgotten after it died).', action: 'Register the agent again, then beat.' },
  unknown_topic: { status: 404, meaning: 'The topic does not exist in this cluster.', action: 'Check the topic name, or create it.' },
  group_not_found: { status: 404, meaning: 'The consumer group does not exist.', action: 'Check the group id.' },
  file_not_found: { status: 404, meaning: 'The file is not committed in this cluster.', action: 'Check the file id.' },
  job_not_found: { status: 404, meaning: 'The job does not exist in this cluster (or left the history: each cluster keeps its last 200 completed jobs for up to an hour and its last 1,000 failed ones for up to a day, `HM_JOB_KEEP_*`, and of a work item planned again only its latest ended attempt).', action: 'Check the job id (GET /v1/clusters/{clusterId}/jobs).' },
  region_not_found: { status: 404, meaning: 'The region is not one of this deployment\'s.', action: 'Use a region from GET /admin/v1/regions.' },
  // ── 409: the current state forbids it ──────────────────────────────────────────────────
  concurrent_modification: { status: 409, meaning: 'The item changed between read and write.', action: 'Read it again and retry.' },
  cluster_name_taken: { status: 409, meaning: 'The tenant already has a cluster of this name.', action: 'Choose another name.' },
  cluster_limit_reached: { status: 409, meaning: 'The tenant has as many clusters as its tier allows.', action: 'Delete a cluster or move to a higher tier.' },
  cluster_provisioning: { status: 409, meaning: 'The cluster is still being provisioned.', action: 'Retry shortly (the problem says `retryable: true`).' },
  cluster_deleting: { status: 409, meaning: 'The cluster is being deleted.', action: 'Nothing: deletion cannot be undone.' },
  stale_lease: { status: 409, meaning: 'The lease token does not hold the job (it expired, was released when the agent was declared dead, or the job ended); nothing changed.', action: 'Drop the job and poll again: another agent has it, or it is done.' },
  agent_not_live: { status: 409, meaning: 'The agent was declared dead or deregistered.', action: 'Register the agent again, then poll.' },
  deletion_protected: { status: 409, meaning: 'The cluster has deletion protection on.', action: 'PATCH `deletionProtection: false` first, then delete.' },
  tenant_has_clusters: { status: 409, meaning: 'The tenant still has clusters.', action: 'Delete its clusters first.' },
  tier_downgrade_blocked: { status: 409, meaning: 'Clusters on a tier above the new plan exist.', action: 'Change or delete the clusters listed in `clusters` first.' },
  limit_exceeded: { status: 409, meaning: 'The tenant has more clusters than the new plan allows.', action: 'Delete clusters first, or choose a larger plan.' },
  api_key_limit_reached: { status: 409, meaning: 'The tenant has as many API keys as allowed.', action: 'Revoke unused keys first.' },
  agent_limit_reached: { status: 409, meaning: 'The cluster has as many agents as its tier allows.', action: 'Deregister agents, or move the cluster to a higher tier.' },
  trust_rule_limit_reached: { status: 409, meaning: 'The cluster has as many trust rules as allowed.', action: 'Delete a trust rule first.' },
  topic_exists: { status: 409, meaning: 'A topic of this name exists.', action: 'Choose another name, or use the existing topic.' },
  topic_name_collision: { status: 409, meaning: 'The name collides with an existing topic once "." and "_" are treated alike (as Kafka does).', action: 'Choose another name.' },
  file_id_conflict: { status: 409, meaning: 'This `fileId` was already committed with different contents.', action: 'Use a new file id for a new file; a retry must repeat the first commit exactly.' },
  non_empty_group: { status: 409, meaning: 'The consumer group still has members.', action: 'Stop its consumers first.' },
  no_region_to_move_to: { status: 409, meaning: 'Draining this region would leave no region to lead its clusters.', action: 'Undrain or start another region first.' },
  idempotency_in_progress: { status: 409, meaning: 'A request with this Idempotency-Key is still running.', action: 'Retry shortly with the same key to get its answer.' },
  idempotency_replay_unavailable: { status: 409, meaning: 'The first answer to this Idempotency-Key cannot be replayed.', action: 'Send the request with a new key.' },
  // ── 4xx of the transport ────────────────────────────────────────────────────────────────
  request_timeout: { status: 408, meaning: 'The request was not received in time.', action: 'Send the whole request promptly.' },
  payload_too_large: { status: 413, meaning: 'The body is larger than this API accepts.', action: 'Send a smaller body (split commits into more files).' },
  path_parameter_too_long: { status: 414, meaning: 'A path parameter is longer than 100 characters.', action: 'Check the id in the path.' },
  unsupported_media_type: { status: 415, meaning: 'The body is not application/json.', action: 'Send `Content-Type: application/json`.' },
  unsupported_content_encoding: { status: 415, meaning: 'The body has a Content-Encoding (e.g. gzip) this API does not decode.', action: 'Send the body uncompressed.' },
  expectation_failed: { status: 417, meaning: 'The request carries an `Expect` header other than `100-continue`.', action: 'Send the request without it.' },
  headers_too_large: { status: 431, meaning: 'The request headers are larger than 16 KB.', action: 'Send smaller headers.' },
  // ── 422: well-formed, but breaks a rule ────────────────────────────────────────────────
  idempotency_key_reused: { status: 422, meaning: 'This Idempotency-Key was used with a different request.', action: 'Use a new key for a new request.' },
  tier_not_allowed: { status: 422, meaning: 'The tier is above the tenant\'s plan.', action: 'Choose a tier up to the tenant\'s plan, or ask the vendor to raise the plan.' },
  multi_region_not_allowed: { status: 422, meaning: 'Multi-region clusters need the enterprise tier.', action: 'Use one region, or the enterprise tier.' },
  partitions_exceed_tier: { status: 422, meaning: 'The cluster holds more partitions than the new tier allows.', action: 'Delete topics first, or choose a larger tier.' },
  retention_exceeds_tier: { status: 422, meaning: 'The retention is longer than the tier allows.', action: 'Shorten the retention, or choose a larger tier.' },
  partition_limit_exceeded: { status: 422, meaning: 'The change would take the cluster past its tier\'s partition limit.', action: 'Use fewer partitions, or move the cluster to a higher tier.' },
  partition_count_not_increased: { status: 422, meaning: 'A topic\'s partition count can only grow.', action: 'Give a count above the current one, or leave `partitions` out.' },
  commit_too_large: { status: 422, meaning: 'The commit\'s metadata does not fit one journal entry.', action: 'Split the file into smaller files.' },
  insufficient_replicas: { status: 422, meaning: 'The commit lists fewer regions than the cluster\'s write quorum.', action: 'Write the file to the quorum of regions before committing.' },
  unknown_replica_region: { status: 422, meaning: 'A replica names a region that is not one of the cluster\'s.', action: 'Use the cluster\'s regions.' },
  unknown_replica_bucket: { status: 422, meaning: 'A replica names a bucket other than the cluster\'s bucket for that region.', action: 'Use the cluster\'s bucket URL for the region (GET /v1/clusters/{clusterId}).' },
  checksum_mismatch: { status: 422, meaning: 'A restored replica\'s checksum differs from the one the file lists.', action: 'Copy the object again from a replica with the listed checksum.' },
  replica_not_listed: { status: 422, meaning: 'The file has no replica in the reported region.', action: 'Report only replicas the file lists (`regions`).' },
  invalid_region: { status: 422, meaning: 'The agent\'s region is not one of the cluster\'s.', action: 'Run the agent in one of the cluster\'s regions.' },
  invalid_zone: { status: 422, meaning: 'The agent\'s zone is not in its region.', action: 'Report the zone the agent runs in.' },
  // ── 429 ────────────────────────────────────────────────────────────────────────────────
  rate_limited: { status: 429, meaning: 'A request budget is spent (`limit` names it): per caller, per cluster, per agent, or failed credentials per client.', action: RETRY },
  // ── 500 ────────────────────────────────────────────────────────────────────────────────
  internal_error: { status: 500, meaning: 'A bug: no input should produce this. It has been logged with the request id.', action: 'Retry once; report the `requestId` if it persists.' },
  // ── 503: retryable ──────────────────────────────────────────────────────────────────────
  not_ready: { status: 503, meaning: 'The node cannot reach its store (`checks` says which).', action: 'Route traffic elsewhere until /readyz answers 200.' },
  shutting_down: { status: 503, meaning: 'The node is shutting down.', action: RETRY },
  store_unavailable: { status: 503, meaning: 'The metadata store did not answer or throttled.', action: RETRY },
  redis_unavailable: { status: 503, meaning: 'Redis (heartbeats, queues, limits) is unreachable.', action: RETRY },
  credentials_unavailable: { status: 503, meaning: 'Tenant-scoped store credentials could not be obtained from STS.', action: RETRY },
  revocation_state_stale: { status: 503, meaning: 'This node could not check revocations recently, so it refuses tokens it cannot vouch for.', action: RETRY },
  replay_check_unavailable: { status: 503, meaning: 'The single-use check of a presigned STS request needs Redis, which is unreachable.', action: RETRY },
  signing_key_unavailable: { status: 503, meaning: 'No token signing key is available yet.', action: RETRY },
  sts_unavailable: { status: 503, meaning: 'AWS STS did not answer.', action: RETRY },
  not_leader: { status: 503, meaning: 'This node does not lead the cluster now (`leader` names the node that does, when known).', action: 'Retry; agents retry against the leader.' },
  leader_unreachable: { status: 503, meaning: 'The node leading the cluster could not be reached.', action: RETRY },
  leader_timeout: { status: 503, meaning: 'The node leading the cluster did not answer in time; the change may have been applied.', action: 'Retry with the same Idempotency-Key.' },
  node_stopped: { status: 503, meaning: 'The metadata node stopped while the request waited.', action: RETRY },
  sequencer_busy: { status: 503, meaning: 'Too many metadata requests are waiting for this cluster.', action: RETRY },
  sequencer_fault: { status: 503, meaning: 'The cluster\'s sequencer hit a fault and is reloading.', action: RETRY },
  too_many_waiting_requests: { status: 503, meaning: 'The node holds too many waiting consumer-group requests.', action: RETRY },
} as const satisfies Record<string, ErrorCodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const isErrorCode = (code: string): code is ErrorCode => Object.hasOwn(ERROR_CODES, code);

/** The statuses a code is answered with. */
export const statusesOf = (code: ErrorCode): readonly number[] => {
  const s = ERROR_CODES[code].status;
  return typeof s === 'number' ? [s] : s;
};
