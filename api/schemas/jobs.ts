import { Type } from 'typebox';
import { Id, IsoTime } from './common';

/** Agent jobs: the agent API (poll, heartbeat, complete, fail) and the customer's view. */
export const JobId = Type.String({ pattern: '^job_[A-Za-z0-9_-]{22}-[0-9]{1,9}$', description: 'A job id (deterministic per planned work item and attempt)', examples: ['job_Vq3kS0cJm1nG2p8wXyZa4b-0'] });
export const JOB_TYPES = ['compaction', 'delete-files', 'orphan-scan', 'replicate'] as const;
export const JobType = Type.Union([Type.Literal('compaction'), Type.Literal('delete-files'), Type.Literal('orphan-scan'), Type.Literal('replicate')]);
export const JobStateQuery = Type.Union([Type.Literal('waiting'), Type.Literal('active'), Type.Literal('delayed'), Type.Literal('completed'), Type.Literal('failed')]);

export const ClusterJobParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });
export const JobParams = Type.Object({ clusterId: Id('cluster'), jobId: JobId }, { additionalProperties: false });
const LeaseToken = Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'The lease token the poll handed out with the job' });

export const PollBody = Type.Object(
  {
    agentId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'The registered agent (with the `jobs` role) asking for work' }),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 20_000, default: 20_000, description: 'How long to wait for a job before answering 204' })),
  },
  { additionalProperties: false },
);

export const LeasedJob = Type.Object({
  jobId: JobId,
  type: JobType,
  payload: Type.Object({}, { additionalProperties: true, description: 'What to do: object keys, byte ranges, offsets, buckets (never record data)' }),
  leaseToken: Type.String(),
  leaseExpiresAt: IsoTime,
  attempt: Type.Integer({ description: 'This hand-out\'s number (1 = first)' }),
  maxAttempts: Type.Integer(),
});

export const LeaseBody = Type.Object({ leaseToken: LeaseToken }, { additionalProperties: false });
export const JobHeartbeatResponse = Type.Object({
  status: Type.Union([Type.Literal('extended'), Type.Literal('cancelled')], { description: '`cancelled`: the work became moot (stop; the job ended)' }),
  leaseExpiresAt: Type.Optional(IsoTime),
});

export const CompleteBody = Type.Object(
  {
    leaseToken: LeaseToken,
    result: Type.Object({}, {
      additionalProperties: true,
      description:
        'Per type: delete-files `{ deleted: [objectKey] }` (gone already counts); compaction `{ fileId, objectKey, sizeBytes, replicas, segments: [{ topic, partition, batches: [{ baseOffset, lastOffset, inputFileId, inputByteOffset, byteOffset, byteLength }] }] }`; orphan-scan `{ objects: [{ objectKey, lastModifiedMs }] }`; replicate `{ checksum }`',
    }),
  },
  { additionalProperties: false },
);
export const CompleteResponse = Type.Object({
  jobId: JobId,
  outcome: Type.Union([Type.Literal('completed'), Type.Literal('refused')]),
  result: Type.Object({}, { additionalProperties: true }),
});

export const FailBody = Type.Object(
  {
    leaseToken: LeaseToken,
    error: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^\\x00-\\x08\\x0b-\\x1f\\x7f]+$', description: 'What went wrong (shown in the jobs view; no record data)' }),
    retryable: Type.Boolean({ description: 'false: the job fails for good now; true: it is retried with backoff until its attempts run out' }),
  },
  { additionalProperties: false },
);
export const FailResponse = Type.Object({
  jobId: JobId,
  state: Type.Union([Type.Literal('retrying'), Type.Literal('failed')]),
  exhausted: Type.Boolean({ description: 'It failed because its attempts ran out' }),
});

export const JobViewSchema = Type.Object({
  id: JobId,
  type: JobType,
  state: Type.Union([JobStateQuery, Type.Literal('unknown')]),
  attempts: Type.Integer({ description: 'Hand-outs so far' }),
  maxAttempts: Type.Integer(),
  agentId: Type.Union([Type.String(), Type.Null()], { description: 'The agent holding it, or that last held it' }),
  createdAt: IsoTime,
  startedAt: Type.Union([IsoTime, Type.Null()]),
  finishedAt: Type.Union([IsoTime, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()], { description: 'completed, refused, cancelled, not_needed' }),
});

export const JobListQuery = Type.Object(
  {
    state: Type.Optional(JobStateQuery),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page (1..100)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);
