#!/usr/bin/env node
// The `hm` bin: runs infra/cli/hm.ts through tsx (the project runs TypeScript as-is).
import { register } from 'tsx/esm/api';

register();
await import('./hm.ts');
