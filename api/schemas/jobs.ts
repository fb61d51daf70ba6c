import { Type } from 'typebox';
import { Id, IsoTime } from './common';

/** Agent jobs: the agent API (poll, heartbeat, complete, fail) and the customer's view. */
export const JobId = Type.String({ pattern: '^job_[A-Za-z0-9_-]{22}-[0-9]{1,9}$', description: 'A job id (deterministic per planned work item and attempt)', examples: ['job_Vq3kS0cJm1nG2p8wXyZa4b-0'] });
export const JOB_TYPES = ['compaction', 'delete-files', 'orphan-scan', 'replicate'] as const;
export const JobType = Type.Union([Type.Literal('compaction'), Type.Literal('delete-files'), Type.Literal('orphan-scan'), Type.Literal('replicate')]);
export const JobStateQuery = Type.Union([Type.Literal('waiting'), Type.Literal('active'), Type.Literal('delayed'), Type.Literal('completed'), Type.Literal('failed')]);

export const ClusterJobParams = Type.Object({ clusterId: Id('cluster') }, { additionalProperties: false });
export const JobParams = Type.Object({ clusterId: Id('cluster'), jobId: JobId }, { additionalProperties: false });
const LeaseToken = Type.String({ minLength: 16, maxLength: 64, pattern: '^[A-Za-z0-9-]+$', description: 'The lease token the poll handed out with the job', examples: ['3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b'] });

export const PollBody = Type.Object(
  {
    agentId: Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$', description: 'The registered agent (with the `jobs` role) asking for work' }),
    waitMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 20_000, default: 20_000, description: 'How long to wait for a job before answering 204' })),
  },
  { additionalProperties: false, examples: [{ agentId: 'agent-1', waitMs: 20000 }] },
);

export const LeasedJob = Type.Object({
  jobId: JobId,
  type: JobType,
  payload: Type.Object({}, { additionalProperties: true, description: 'What to do: object keys, byte ranges, offsets, buckets (never record data)' }),
  leaseToken: Type.String({ description: 'Present it on heartbeat, complete and fail', examples: ['3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b'] }),
  leaseExpiresAt: IsoTime,
  attempt: Type.Integer({ description: 'This hand-out\'s number (1 = first)' }),
  maxAttempts: Type.Integer(),
}, {
  examples: [
    {
      jobId: 'job_Vq3kS0cJm1nG2p8wXyZa4b-0',
      type: 'delete-files',
      payload: { source: 'lifecycle', objects: [{ fileId: 'f-1', objectKey: 'segments/f-1', locations: [{ region: 'us-east-1', bucket: 's3://acme/data' }] }] },
      leaseToken: '3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b',
      leaseExpiresAt: '2026-11-24T18:30:30.000Z',
      attempt: 1,
      maxAttempts: 5,
    },
  ],
});

export const LeaseBody = Type.Object({ leaseToken: LeaseToken }, { additionalProperties: false, examples: [{ leaseToken: '3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b' }] });
export const JobHeartbeatResponse = Type.Object({
  status: Type.Union([Type.Literal('extended'), Type.Literal('cancelled')], { description: '`cancelled`: the work became moot (stop; the job ended)' }),
  leaseExpiresAt: Type.Optional(IsoTime),
}, { examples: [{ status: 'extended', leaseExpiresAt: '2026-11-24T18:31:00.000Z' }] });

export const CompleteBody = Type.Object(
  {
    leaseToken: LeaseToken,
    result: Type.Object({}, {
      additionalProperties: true,
      description:
        'Per type: delete-files `{ deleted: [objectKey] }` (gone already counts); compaction `{ fileId, objectKey, sizeBytes, replicas, segments: [{ topic, partition, batches: [{ baseOffset, lastOffset, inputFileId, inputByteOffset, byteOffset, byteLength }] }] }`; orphan-scan `{ objects: [{ objectKey, lastModifiedMs }] }`; replicate `{ checksum }`',
    }),
  },
  { additionalProperties: false, examples: [{ leaseToken: '3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b', result: { deleted: ['segments/f-1'] } }] },
);
export const CompleteResponse = Type.Object({
  jobId: JobId,
  outcome: Type.Union([Type.Literal('completed'), Type.Literal('refused')]),
  result: Type.Object({}, { additionalProperties: true }),
}, { examples: [{ jobId: 'job_Vq3kS0cJm1nG2p8wXyZa4b-0', outcome: 'completed', result: { deleted: 1, files: [{ fileId: 'f-1', result: 'deleted' }] } }] });

export const FailBody = Type.Object(
  {
    leaseToken: LeaseToken,
    error: Type.String({ minLength: 1, maxLength: 1024, pattern: '^[^\\x00-\\x08\\x0b-\\x1f\\x7f]+$', description: 'What went wrong (shown in the jobs view; no record data)', examples: ['bucket throttled'] }),
    retryable: Type.Boolean({ description: 'false: the job fails for good now; true: it is retried with backoff until its attempts run out' }),
  },
  { additionalProperties: false, examples: [{ leaseToken: '3f1c2b9e-6a4d-4f7e-9b1a-2c3d4e5f6a7b', error: 'bucket throttled', retryable: true }] },
);
export const FailResponse = Type.Object({
  jobId: JobId,
  state: Type.Union([Type.Literal('retrying'), Type.Literal('failed')]),
  exhausted: Type.Boolean({ description: 'It failed because its attempts ran out' }),
}, { examples: [{ jobId: 'job_Vq3kS0cJm1nG2p8wXyZa4b-0', state: 'retrying', exhausted: false }] });

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
  error: Type.Union([Type.String({ examples: ['disk full'] }), Type.Null()]),
  outcome: Type.Union([Type.String({ examples: ['completed'] }), Type.Null()], { description: 'completed, refused, cancelled, not_needed' }),
}, {
  examples: [
    {
      id: 'job_Vq3kS0cJm1nG2p8wXyZa4b-0',
      type: 'compaction',
      state: 'completed',
      attempts: 1,
      maxAttempts: 5,
      agentId: 'agent-1',
      createdAt: '2026-11-24T18:30:00.000Z',
      startedAt: '2026-11-24T18:30:01.000Z',
      finishedAt: '2026-11-24T18:30:04.000Z',
      error: null,
      outcome: 'completed',
    },
  ],
});

export const JobListQuery = Type.Object(
  {
    state: Type.Optional(JobStateQuery),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20, description: 'Items per page (1..100)' })),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 2048, description: 'The `nextCursor` of the previous page' })),
  },
  { additionalProperties: false },
);
