import { badRequest } from '../../shared/errors';
import type { GroupError } from './types';

/**
 * The classic Kafka group protocol's requests and answers as agents send and get them
 * (metadata and assignments are the clients' opaque bytes, base64 on the wire), and the
 * shape checks for them. The coordinator (group-coordinator.ts) gives them meaning.
 */
export interface GroupSettings {
  /** Kafka's group.min.session.timeout.ms and group.max.session.timeout.ms. */
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  /** Kafka's group.initial.rebalance.delay.ms: an empty group waits this long for more members. */
  initialRebalanceDelayMs: number;
  /** Longest a join or sync request waits here before it is answered "still waiting" (202). */
  maxWaitMs: number;
  /** Kafka's group.max.size. */
  maxGroupSize: number;
  /** Waiting joins and syncs one node holds at once, over all clusters; more get a 503. */
  maxWaiting: number;
  /** How often deadlines (sessions, rebalances, waits) are checked. */
  tickMs: number;
}

export const DEFAULT_GROUP_SETTINGS: GroupSettings = {
  minSessionTimeoutMs: 6_000,
  maxSessionTimeoutMs: 1_800_000,
  initialRebalanceDelayMs: 3_000,
  maxWaitMs: 30_000,
  maxGroupSize: 1_000,
  maxWaiting: 10_000,
  tickMs: 100,
};

export const MAX_PROTOCOLS = 16;
export const MAX_PROTOCOL_METADATA_BYTES = 32 * 1024;
export const MAX_ASSIGNMENT_BYTES = 64 * 1024;
/** All assignments of a generation travel in one journal entry. */
export const MAX_ASSIGNMENTS_TOTAL_BYTES = 256 * 1024;
const MAX_NAME_BYTES = 255;
const MAX_ID_BYTES = 512;
const CONTROL = /[\u0000-\u001f\u007f]/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export interface JoinInput {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: { name: string; metadata: Uint8Array }[];
}

export interface JoinMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: string;
}

export type JoinResult =
  | {
      error?: GroupError;
      generationId: number;
      protocolType: string | null;
      protocolName: string | null;
      leader: string;
      memberId: string;
      /** Only the leader gets the members, with their metadata for the chosen protocol. */
      members: JoinMember[];
    }
  /** The server's wait cap passed first: send the same join again. */
  | { waiting: true; memberId: string };

export interface SyncInput {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Uint8Array }[];
}

export type SyncResult = { error?: GroupError; protocolType: string | null; protocolName: string | null; assignment: string } | { waiting: true; memberId: string };

export interface HeartbeatInput {
  memberId: string;
  groupInstanceId: string | null;
  generationId: number;
}

export interface LeaveResult {
  members: { memberId: string; groupInstanceId: string | null; error?: GroupError }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown, min: number, max: number): v is number => Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max;
const isText = (v: unknown, maxBytes: number) => typeof v === 'string' && Buffer.byteLength(v) <= maxBytes && !CONTROL.test(v);

function text(v: unknown, field: string, maxBytes: number, allowEmpty: boolean): string {
  if (v === undefined && allowEmpty) return '';
  if (!isText(v, maxBytes) || (!allowEmpty && v === '')) throw badRequest('invalid_request', `${field} is ${allowEmpty ? 'a' : 'a non-empty'} string of at most ${maxBytes} bytes without control characters.`, { field });
  return v as string;
}

function optionalText(v: unknown, field: string): string | null {
  if (v === undefined || v === null) return null;
  return text(v, field, MAX_NAME_BYTES, false);
}

function bytes(v: unknown, field: string, maxBytes: number): Uint8Array {
  if (typeof v !== 'string' || !BASE64.test(v) || v.length % 4 !== 0) throw badRequest('invalid_request', `${field} is base64 bytes.`, { field });
  const out = Buffer.from(v, 'base64');
  if (out.length > maxBytes) throw badRequest('too_large', `${field} holds at most ${maxBytes} bytes.`, { field, max: maxBytes });
  return out;
}

function generation(v: unknown): number {
  if (!isInt(v, -1, 2 ** 31 - 1)) throw badRequest('invalid_generation', 'generationId is -1 or a generation number.', { field: 'generationId' });
  return v;
}

function object(input: unknown): Record<string, unknown> {
  if (!isObject(input)) throw badRequest('invalid_request', 'The request must be a JSON object.');
  return input;
}

export function validateJoin(input: unknown): JoinInput {
  const o = object(input);
  if (!isInt(o.sessionTimeoutMs, 1, 2 ** 31 - 1)) throw badRequest('invalid_request', 'sessionTimeoutMs is a whole number of milliseconds.', { field: 'sessionTimeoutMs' });
  const rebalance = o.rebalanceTimeoutMs ?? o.sessionTimeoutMs;
  if (!isInt(rebalance, 1, 2 ** 31 - 1)) throw badRequest('invalid_request', 'rebalanceTimeoutMs is a whole number of milliseconds.', { field: 'rebalanceTimeoutMs' });
  if (!Array.isArray(o.protocols) || o.protocols.length === 0 || o.protocols.length > MAX_PROTOCOLS) {
    throw badRequest('invalid_request', `protocols lists 1 to ${MAX_PROTOCOLS} protocols.`, { field: 'protocols' });
  }
  const names = new Set<string>();
  const protocols = o.protocols.map((p: unknown, i) => {
    if (!isObject(p)) throw badRequest('invalid_request', 'Each protocol is an object.', { field: `protocols[${i}]` });
    const name = text(p.name, `protocols[${i}].name`, MAX_NAME_BYTES, false);
    if (names.has(name)) throw badRequest('invalid_request', `Protocol ${name} is listed twice.`, { field: `protocols[${i}].name` });
    names.add(name);
    return { name, metadata: bytes(p.metadata ?? '', `protocols[${i}].metadata`, MAX_PROTOCOL_METADATA_BYTES) };
  });
  return {
    memberId: text(o.memberId, 'memberId', MAX_ID_BYTES, true),
    groupInstanceId: optionalText(o.groupInstanceId, 'groupInstanceId'),
    clientId: text(o.clientId, 'clientId', MAX_NAME_BYTES, true),
    clientHost: text(o.clientHost, 'clientHost', MAX_NAME_BYTES, true),
    sessionTimeoutMs: o.sessionTimeoutMs,
    rebalanceTimeoutMs: rebalance,
    protocolType: text(o.protocolType, 'protocolType', MAX_NAME_BYTES, false),
    protocols,
  };
}

export function validateSync(input: unknown): SyncInput {
  const o = object(input);
  const assignments = o.assignments ?? [];
  if (!Array.isArray(assignments)) throw badRequest('invalid_request', 'assignments is an array.', { field: 'assignments' });
  let total = 0;
  const seen = new Set<string>();
  const list = assignments.map((a: unknown, i) => {
    if (!isObject(a)) throw badRequest('invalid_request', 'Each assignment is an object.', { field: `assignments[${i}]` });
    const memberId = text(a.memberId, `assignments[${i}].memberId`, MAX_ID_BYTES, false);
    if (seen.has(memberId)) throw badRequest('invalid_request', `Member ${memberId} is assigned twice.`, { field: `assignments[${i}].memberId` });
    seen.add(memberId);
    const assignment = bytes(a.assignment ?? '', `assignments[${i}].assignment`, MAX_ASSIGNMENT_BYTES);
    total += assignment.length + Buffer.byteLength(memberId);
    return { memberId, assignment };
  });
  if (total > MAX_ASSIGNMENTS_TOTAL_BYTES) throw badRequest('too_large', `The assignments hold at most ${MAX_ASSIGNMENTS_TOTAL_BYTES} bytes in all.`, { field: 'assignments' });
  return {
    memberId: text(o.memberId, 'memberId', MAX_ID_BYTES, false),
    groupInstanceId: optionalText(o.groupInstanceId, 'groupInstanceId'),
    generationId: generation(o.generationId),
    protocolType: o.protocolType === undefined || o.protocolType === null ? null : text(o.protocolType, 'protocolType', MAX_NAME_BYTES, false),
    protocolName: o.protocolName === undefined || o.protocolName === null ? null : text(o.protocolName, 'protocolName', MAX_NAME_BYTES, false),
    assignments: list,
  };
}

export function validateHeartbeat(input: unknown): HeartbeatInput {
  const o = object(input);
  return { memberId: text(o.memberId, 'memberId', MAX_ID_BYTES, false), groupInstanceId: optionalText(o.groupInstanceId, 'groupInstanceId'), generationId: generation(o.generationId) };
}

export function validateLeave(input: unknown): { memberId: string; groupInstanceId: string | null }[] {
  const o = object(input);
  if (!Array.isArray(o.members) || o.members.length === 0 || o.members.length > 1000) throw badRequest('invalid_request', 'members lists 1 to 1000 members.', { field: 'members' });
  return o.members.map((m: unknown, i) => {
    if (!isObject(m)) throw badRequest('invalid_request', 'Each member is an object.', { field: `members[${i}]` });
    const member = { memberId: text(m.memberId, `members[${i}].memberId`, MAX_ID_BYTES, true), groupInstanceId: optionalText(m.groupInstanceId, `members[${i}].groupInstanceId`) };
    if (member.memberId === '' && member.groupInstanceId === null) throw badRequest('invalid_request', 'A leaving member names its memberId or its groupInstanceId.', { field: `members[${i}]` });
    return member;
  });
}
