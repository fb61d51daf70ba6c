/**
 * What is deployed where. One control-plane stack per region; with three regions the tables
 * are global tables with multi-region strong consistency (MRSC: exactly three replicas, all
 * in one of DynamoDB's MRSC region sets), created by the first region's stack.
 */
export interface Deployment {
  /** Prefix of every physical name (tables, queues): HM_TABLE_PREFIX / HM_QUEUE_PREFIX follow it. */
  name: string;
  /** The first is the primary: its stack owns the global tables. One region, or exactly three. */
  regions: string[];
  /** Container image tag pushed as a CDK asset; the stack builds it from infra/docker/Dockerfile. */
  agentPlane: { desiredCount: number; cpu: number; memoryMiB: number };
  workers: { desiredCount: number; cpu: number; memoryMiB: number };
  lambda: { memoryMiB: number; timeoutSeconds: number };
}

/** DynamoDB's MRSC region sets: the three replicas must come from one of them. */
export const MRSC_REGION_SETS = [
  ['us-east-1', 'us-east-2', 'us-west-2'],
  ['eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-central-1'],
  ['ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3'],
];

export const DEFAULT_REGIONS = ['us-east-1', 'us-east-2', 'us-west-2'];

export function deployment(input: { name?: string; regions?: string[] } = {}): Deployment {
  const regions = input.regions ?? DEFAULT_REGIONS;
  const name = input.name ?? 'hm';
  if (!/^[a-z][a-z0-9-]{0,20}$/.test(name)) throw new Error(`deployment name "${name}" must be lowercase letters, digits and "-" (1..21)`);
  if (new Set(regions).size !== regions.length) throw new Error(`regions repeat: ${regions.join(', ')}`);
  if (regions.length !== 1 && regions.length !== 3) throw new Error(`a deployment has one region or three (MRSC), not ${regions.length}`);
  if (regions.length === 3 && !MRSC_REGION_SETS.some((set) => regions.every((r) => set.includes(r)))) {
    throw new Error(`regions ${regions.join(', ')} are not one MRSC region set (${MRSC_REGION_SETS.map((s) => s.join('/')).join('; ')})`);
  }
  return {
    name,
    regions,
    agentPlane: { desiredCount: 3, cpu: 1024, memoryMiB: 2048 },
    workers: { desiredCount: 2, cpu: 512, memoryMiB: 1024 },
    lambda: { memoryMiB: 1024, timeoutSeconds: 29 },
  };
}

export const isMultiRegion = (d: Deployment) => d.regions.length === 3;
