#!/usr/bin/env node
// The `zerto-fleet` command: the fleet service's CLI (fleet/cli.ts) under tsx, as `npm run fleet` runs it.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
