import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, runNode, waitForOutput, type ServerProcess } from '../../support/process.js';
import { startLoadBalancer, type LoadBalancer } from './load-balancer.js';

/**
 * Several Commons processes, each the built server as an operator runs it, on the same settings
 * (one database, one Redis, one session secret, one public address), behind one load balancer.
 */
export interface Instances {
  balancer: LoadBalancer;
  /** Each instance's process, by name, for its log. */
  processes: Map<string, ServerProcess>;
  stop(): Promise<void>;
}

export async function startInstances(names: string[], env: Record<string, string>): Promise<Instances> {
  const balancer = await startLoadBalancer();
  const processes = new Map<string, ServerProcess>();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commons-instances-'));
  const stop = async () => {
    for (const server of processes.values()) server.child.kill('SIGTERM');
    await Promise.all([...processes.values()].map((server) => server.exited));
    await balancer.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const ports = await Promise.all(
      names.map(async (name) => {
        const port = await freePort();
        const server = runNode('server.js', { ...env, PUBLIC_URL: balancer.url, HOST: '127.0.0.1', PORT: String(port), DATA_DIR: path.join(dataDir, name) });
        processes.set(name, server);
        await waitForOutput(server, 'Commons is ready', 60_000);
        return port;
      }),
    );
    // In the order given, so the rotation is known: the first request goes to the first name.
    names.forEach((name, index) => balancer.add(name, `http://127.0.0.1:${ports[index]}`));
  } catch (error) {
    await stop();
    throw error;
  }
  return { balancer, processes, stop };
}
