// Run by rapl.test.ts as an unprivileged user: prints what probeRapl reports for argv[2].
import { probeRapl } from '../../daemon/hardware/rapl.js';

const r = await probeRapl(process.argv[2] ?? '/');
process.stdout.write(JSON.stringify(r.info ?? null) + '\n');
