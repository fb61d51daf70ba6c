import path from 'node:path';
import { App } from 'aws-cdk-lib';
import { buildLambdaAsset } from './bundle';
import { ControlPlaneStack } from './control-plane-stack';
import { deployment, type Deployment } from './deployment';
import type { TenantPolicyGenerator } from './tenant-access-role';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * The CDK app: one ControlPlaneStack per region of the deployment. Synthesis needs no AWS
 * account and no network: stacks name their region but not their account, nothing is looked
 * up, the Lambda is bundled locally and the container image is only hashed (built at deploy).
 */
export function buildCdkApp(opts: { deployment: Deployment; outdir?: string; lambdaAssetDir?: string; tenantPolicy?: TenantPolicyGenerator }): App {
  const app = new App({ outdir: opts.outdir });
  const lambdaAssetDir = opts.lambdaAssetDir ?? buildLambdaAsset(path.join(ROOT, '.build', 'lambda'));
  const stacks = opts.deployment.regions.map(
    (region) => new ControlPlaneStack(app, `Harbormaster-${opts.deployment.name}-${region}`, { deployment: opts.deployment, region, lambdaAssetDir, tenantPolicy: opts.tenantPolicy }),
  );
  // The other regions use the primary's global tables and replicated secret.
  for (const s of stacks.slice(1)) s.addStackDependency(stacks[0]);
  return app;
}

/** Regions come from `-c regions=a,b,c` (the cdk CLI) or HM_CDK_REGIONS; the default is the three-region MRSC deployment. */
function regionsFromInput(): string[] | undefined {
  const raw = (new App().node.tryGetContext('regions') as string | undefined) ?? process.env.HM_CDK_REGIONS;
  return raw ? raw.split(',').map((r) => r.trim()).filter(Boolean) : undefined;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const d = deployment({ name: process.env.HM_CDK_NAME, regions: regionsFromInput() });
    const assembly = buildCdkApp({ deployment: d, outdir: process.env.CDK_OUTDIR ?? path.join(ROOT, 'cdk.out') }).synth();
    for (const s of assembly.stacks) console.log(`synthesized ${s.stackName} (${s.environment.region}) → ${path.relative(process.cwd(), s.templateFullPath)}`);
  } catch (e) {
    console.error(`synth: ${(e as Error).message}`);
    process.exit(1);
  }
}
