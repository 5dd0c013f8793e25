import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface ReceivedMessage {
  /** The message as the client sent it after DATA: headers, blank line, body. */
  raw: string;
  /** RCPT TO addresses, as the envelope carried them. */
  recipients: string[];
}

/**
 * A real SMTP server on 127.0.0.1 for delivery tests. It keeps its port across stop() and
 * start(), so a transport made once can meet an outage and then a recovery.
 */
export class TestSmtpServer {
  readonly received: ReceivedMessage[] = [];
  private server: SMTPServer | undefined;
  private rejectCode: number | null = null;
  private rejectText = 'rejected by the test server';
  private rejectOnly: string | undefined;
  private boundPort = 0;
  /** How long a message's data is held before the server accepts it: a slow relay. */
  acceptDelayMs = 0;
  /** Messages whose data has arrived and that are not yet accepted. */
  inHand = 0;

  get port(): number {
    return this.boundPort;
  }

  get url(): string {
    return `smtp://127.0.0.1:${this.boundPort}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /**
   * From now on, answer every RCPT TO (or only `address`'s) with this code (451, 550…) and text
   * ("5.1.1 no such user"), or accept again with null.
   */
  rejectWith(code: number | null, { text = 'rejected by the test server', address }: { text?: string; address?: string } = {}): void {
    this.rejectCode = code;
    this.rejectText = text;
    this.rejectOnly = address;
  }

  /** Forgets what it received and accepts again. */
  reset(): void {
    this.received.length = 0;
    this.rejectWith(null);
  }

  async start(): Promise<void> {
    if (this.server) return;
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      // No DNS in a test: a reverse lookup of 127.0.0.1 can hold the greeting for up to 1.5 s.
      disableReverseLookup: true,
      closeTimeout: 1000,
      onRcptTo: (address, _session, callback) => {
        if (this.rejectCode === null || (this.rejectOnly !== undefined && this.rejectOnly !== address.address)) return callback();
        const error: SMTPServerError = new Error(`${this.rejectText} (${address.address})`);
        error.responseCode = this.rejectCode;
        callback(error);
      },
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          this.inHand += 1;
          setTimeout(() => {
            this.inHand -= 1;
            this.received.push({ raw: Buffer.concat(chunks).toString('utf8'), recipients: session.envelope.rcptTo.map((rcpt) => rcpt.address) });
            callback();
          }, this.acceptDelayMs);
        });
      },
    });
    server.listen(this.boundPort, '127.0.0.1');
    await once(server.server, 'listening');
    this.boundPort = (server.server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Closes the port: a client now gets ECONNREFUSED, as from a relay that is down. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

export async function startSmtpServer(): Promise<TestSmtpServer> {
  const smtp = new TestSmtpServer();
  await smtp.start();
  return smtp;
}
