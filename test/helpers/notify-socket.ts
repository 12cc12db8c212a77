import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './paths.js';

/**
 * A real unix datagram socket that collects sd_notify messages. Node cannot bind one, so a
 * tiny python3 process binds it and prints each datagram as a JSON string per line.
 */
export interface NotifyListener {
  path: string;
  messages: string[];
  close(): void;
}

const RECEIVER = `
import socket, sys, json, os
path = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
print("BOUND", flush=True)
while True:
    data = s.recv(4096)
    print(json.dumps(data.decode()), flush=True)
`;

export async function listenForNotify(): Promise<NotifyListener> {
  const path = join(tempDir('notify-'), 'notify.sock');
  const child = spawn('python3', ['-c', RECEIVER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  const messages: string[] = [];
  let buffer = '';
  await new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      let nl;
      while ((nl = buffer.indexOf('\n')) !== -1) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line === 'BOUND') resolve();
        else messages.push(JSON.parse(line) as string);
      }
    });
  });
  return { path, messages, close: () => child.kill() };
}
