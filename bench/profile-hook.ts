import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Preloaded into the daemon with NODE_OPTIONS=--import=... when BENCH_PROFILE=1.
 * `--cpu-prof` would be simpler, but node refuses it in NODE_OPTIONS, and
 * startDaemon only lets the bench add arguments after the script. The profiler
 * starts on SIGUSR2, which the bench sends once the table is prefilled, so
 * start-up and module loading stay out of the figures. A session on the same
 * thread answers synchronously, so the profile can be taken and written in the
 * 'exit' handler, after the daemon's clean shutdown.
 */
const dir = process.env['CORTEX_BENCH_PROFILE_DIR'];
if (dir !== undefined && dir !== '') {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 200 });
  let started = false;
  process.on('SIGUSR2', () => {
    if (started) return;
    started = true;
    session.post('Profiler.start');
  });
  process.on('exit', () => {
    if (!started) return;
    session.post('Profiler.stop', (error, result) => {
      if (error === null) writeFileSync(join(dir, `daemon-${process.pid}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
