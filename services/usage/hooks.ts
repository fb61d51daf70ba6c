import type { FleetService } from '../agents/service';
import type { MetadataService } from '../metadata/service';
import type { ClusterRef, CommitFileInput } from '../metadata/types';
import type { UsageMeter } from './meter';

/**
 * The metering hooks, wrapped around the services at composition: counting is a few in-memory
 * increments per request (the meter flushes on its own schedule).
 */
export function meteredMetadata(inner: MetadataService, meter: UsageMeter): MetadataService {
  const counted =
    <A extends unknown[], R>(fn: (cluster: ClusterRef, ...rest: A) => Promise<R>) =>
    (cluster: ClusterRef, ...rest: A): Promise<R> => {
      meter.request(cluster.tenantId, cluster.clusterId);
      return fn(cluster, ...rest);
    };
  return {
    ...inner,
    createTopic: counted(inner.createTopic),
    listTopics: counted(inner.listTopics),
    describeTopic: counted(inner.describeTopic),
    updateTopic: counted(inner.updateTopic),
    addPartitions: counted(inner.addPartitions),
    alterTopicConfig: counted(inner.alterTopicConfig),
    deleteTopic: counted(inner.deleteTopic),
    fetchPlan: counted(inner.fetchPlan),
    listOffsets: counted(inner.listOffsets),
    commitFile: counted(async (cluster: ClusterRef, input: CommitFileInput) => {
      const out = await inner.commitFile(cluster, input);
      // Only what this commit wrote: a retried file or a producer's duplicate batch adds nothing.
      if (!out.duplicate) {
        const batches = input.batches;
        let bytes = 0;
        let records = 0;
        out.results.forEach((r, i) => {
          if ('baseOffset' in r && !r.duplicate) {
            bytes += batches[i].byteLength;
            records += batches[i].recordCount;
          }
        });
        if (bytes > 0 || records > 0) meter.commit(cluster.tenantId, cluster.clusterId, bytes, records);
      }
      return out;
    }),
  } as MetadataService;
}

/** Agent-hours come from heartbeats: each accepted beat counts for its agent. */
export function meteredFleet(inner: FleetService, meter: UsageMeter): FleetService {
  return {
    ...inner,
    // Every argument passed on, whatever the signature grows to.
    async heartbeat(...args) {
      const out = await inner.heartbeat(...args);
      const [tenantId, clusterId, agentId] = args;
      meter.beat(tenantId, clusterId, agentId);
      return out;
    },
  };
}
