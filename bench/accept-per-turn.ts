/**
 * How many connections Node accepts while its event loop is busy: a plain `net` server whose loop
 * runs turns of S ms of work (S = 0, 0.5, 2, 8), and 2 000 clients connecting at once (from a child
 * process, so that their side does not share the loop). Prints, per S, the turns run and the
 * connections accepted in SECONDS s, and the accept rate. Colony's slices while connections
 * arrive (src/realtime/turn-slice.ts `Arrivals`) are sized by what this shows.
 *   npx tsx bench/accept-per-turn.ts
 */
import { fork } from 'node:child_process';
import { createServer } from 'node:net';

const CLIENTS = 2000;
const SECONDS = 3;

if (process.argv[2] === 'clients') {
  const { connect } = await import('node:net');
  const port = Number(process.argv[3]);
  const sockets: unknown[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    const socket = connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    sockets.push(socket);
  }
  process.on('message', () => process.exit(0));
} else {
  console.log(`\n${CLIENTS} clients connecting at once to a server whose turns hold S ms of work\n`);
  console.log('| S ms of work a turn | turns | accepted | accepted / turn | accepts a second |');
  console.log('| ---: | ---: | ---: | ---: | ---: |');
  for (const work of [0, 0.5, 2, 8]) {
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      socket.on('error', () => undefined);
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 4096, resolve));
    const port = (server.address() as { port: number }).port;
    let turns = 0;
    let running = true;
    const turn = () => {
      turns++;
      const began = performance.now();
      while (performance.now() - began < work);
      if (running) setImmediate(turn);
    };
    setImmediate(turn);
    const clients = fork(new URL(import.meta.url).pathname, ['clients', String(port)], {
      execArgv: process.execArgv,
    });
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
    running = false;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `| ${work} | ${turns} | ${accepted} | ${(accepted / Math.max(turns, 1)).toFixed(2)} | ${(accepted / seconds).toFixed(0)} |`,
    );
    clients.send('stop');
    await new Promise((resolve) => clients.once('exit', resolve));
    await new Promise((resolve) => server.close(resolve));
  }
}
