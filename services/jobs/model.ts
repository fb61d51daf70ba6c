import type { CompactionInput } from '../metadata/job-reads';

/**
 * Agent jobs: work the control plane plans and an agent in the customer's account executes
 * against the customer's buckets. Payloads carry object keys, byte ranges and offsets only.
 */
export const AGENT_JOB_TYPES = ['compaction', 'delete-files', 'orphan-scan', 'replicate'] as const;
export type AgentJobType = (typeof AGENT_JOB_TYPES)[number];

export interface Location {
  region: string;
  bucket: string;
}

export interface DeleteFilesPayload {
  /** `lifecycle`: records of marked files, removed once deleted; `orphan`: keys no record names. */
  source: 'lifecycle' | 'orphan';
  objects: { fileId?: string; objectKey: string; locations: Location[] }[];
}

export interface CompactionPayload {
  topic: string;
  partition: number;
  /** The batches to copy, in offset order, with the file each is in now. */
  batches: CompactionInput[];
  /** Where each input file can be read. */
  sources: { fileId: string; objectKey: string; locations: Location[] }[];
  /** Where the new file goes: every region's bucket of the cluster. */
  targets: Location[];
}

export interface OrphanScanPayload {
  region: string;
  bucket: string;
  /** Only keys last modified before this (epoch ms) count: younger ones may belong to a commit in flight. */
  olderThanMs: number;
  maxKeys: number;
}

export interface ReplicatePayload {
  fileId: string;
  objectKey: string;
  sizeBytes: number;
  checksum: string;
  target: Location;
  sources: Location[];
}

/** The typed map from job type to payload. */
export interface AgentJobPayloads {
  compaction: CompactionPayload;
  'delete-files': DeleteFilesPayload;
  'orphan-scan': OrphanScanPayload;
  replicate: ReplicatePayload;
}

export type AgentJobSpec = { [K in AgentJobType]: { type: K; payload: AgentJobPayloads[K] } }[AgentJobType];

/** What the queue keeps per job (BullMQ job data). */
export type AgentJobData = AgentJobSpec & { tenantId: string; clusterId: string; workItem: string };

/** What the queue keeps of an ended job: no payload, a few fields saying what it was about. */
export type EndedJobData = Pick<AgentJobData, 'type' | 'tenantId' | 'clusterId' | 'workItem'> & { summary: Record<string, string | number>; endedAt: number };

export type AgentJobState = 'waiting' | 'active' | 'delayed' | 'completed' | 'failed';
export const AGENT_JOB_STATES: AgentJobState[] = ['waiting', 'active', 'delayed', 'completed', 'failed'];

/** A job handed to an agent under a lease. */
export interface Lease {
  jobId: string;
  type: AgentJobType;
  payload: AgentJobSpec['payload'];
  leaseToken: string;
  leaseExpiresAt: number;
  attempt: number;
  maxAttempts: number;
  /** Internal: the job's data, for the service (never sent as is). */
  data: AgentJobData;
}

export interface JobView {
  id: string;
  type: AgentJobType;
  state: AgentJobState | 'unknown';
  workItem: string;
  attempts: number;
  maxAttempts: number;
  agentId: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  error: string | null;
  outcome: string | null;
}

/** Outcomes counted per job type in /metrics. */
export type JobOutcome = 'completed' | 'refused' | 'cancelled' | 'retrying' | 'failed' | 'exhausted' | 'released';
