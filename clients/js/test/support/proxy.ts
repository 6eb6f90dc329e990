/**
 * A TCP proxy in front of an emulator that can drop the network: once `cutAfter` bytes have gone upstream, every
 * open connection is destroyed at once, as when a phone loses its signal in the middle of an upload. Later
 * connections pass again.
 */

import type { AddressInfo, Socket } from "node:net";
import { connect, createServer } from "node:net";

export class CuttingProxy {
  /** Bytes sent upstream so far. */
  forwarded = 0;
  /** How many times the network was dropped. */
  cuts = 0;
  private readonly open = new Set<Socket>();
  private readonly server = createServer((client) => this.relay(client));

  constructor(
    private readonly upstream: { host: string; port: number },
    private cutAfter = Infinity,
  ) {}

  /** Listen on a free local port; returns `host:port` to give the client instead of the emulator's. */
  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.open.forEach((socket) => socket.destroy());
    await new Promise((resolve) => this.server.close(resolve));
  }

  private relay(client: Socket): void {
    const server = connect(this.upstream.port, this.upstream.host);
    for (const socket of [client, server]) {
      this.open.add(socket);
      socket.on("close", () => this.open.delete(socket));
      socket.on("error", () => socket.destroy());
    }
    client.on("data", (data: Buffer) => {
      this.forwarded += data.length;
      server.write(data);
      if (this.forwarded >= this.cutAfter) this.cut();
    });
    server.on("data", (data: Buffer) => client.write(data));
    client.on("end", () => server.end());
    server.on("end", () => client.end());
  }

  private cut(): void {
    this.cutAfter = Infinity;
    this.cuts += 1;
    this.open.forEach((socket) => socket.destroy());
  }
}
