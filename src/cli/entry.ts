import { main } from './main.js';

// Schedulers find the process by this name (SLURM's proctrack/linuxproc cannot parse "npm exec …").
process.title = 'attnlab';
const code = await main(process.argv.slice(2));
process.exitCode = code;
// Stopped by a signal: the run is already ended and flushed; leave now rather than wait for stray handles.
if (code >= 128) process.exit(code);
