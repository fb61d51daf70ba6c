/**
 * Benchmark baseline only (`--import` into a server process): stores skip their tenant views,
 * so no request is checked by the in-process tenant fence. `tenant-fence.ts` compares a server
 * like this with a normal one.
 */
import { Db } from '../../shared/dynamo';

Db.prototype.forTenant = function (this: Db) {
  return this;
};
