import { encodeForm, hiddenFields } from '../../support/app.js';
import { testSecondFactorCode } from '../../support/members.js';
import type { MultipartBody } from '../../support/uploads.js';
import { SERVED_BY, TEST_CLIENT, type LoadBalancer } from './load-balancer.js';

/** An answer as the test reads it, and the instance that gave it. */
export interface Answer {
  status: number;
  location: string | null;
  servedBy: string;
  body: Buffer;
  text: string;
}

/** Where a request goes: the next instance in turn, or the one named. */
export interface Via {
  on?: string;
}

/**
 * A browser on a real socket, through the load balancer: cookies kept between requests (whichever
 * instance set them), same-origin headers sent, redirects left to the test.
 */
export class HttpBrowser {
  private readonly cookies = new Map<string, string>();

  /** `from`: the client address the load balancer passes on (the test's own, 127.0.0.1, unless given). */
  constructor(
    private readonly balancer: LoadBalancer,
    private readonly from?: string,
  ) {}

  async get(path: string, via: Via = {}): Promise<Answer> {
    return this.send('GET', path, via);
  }

  async post(path: string, fields: Record<string, string>, via: Via = {}): Promise<Answer> {
    return this.send('POST', path, via, { 'content-type': 'application/x-www-form-urlencoded' }, encodeForm(fields));
  }

  async postMultipart(path: string, body: MultipartBody, via: Via = {}): Promise<Answer> {
    return this.send('POST', path, via, { 'content-type': body.contentType }, body.toBuffer());
  }

  /** Opens a page with a form and returns its hidden fields (CSRF and form tokens). */
  async openForm(path: string, via: Via = {}): Promise<Record<string, string>> {
    const page = await this.get(path, via);
    if (page.status !== 200) throw new Error(`GET ${path} answered ${page.status} from ${page.servedBy}`);
    return hiddenFields(page.text);
  }

  /** Signs in through the real form (and the second step for staff), each page where `via` says. */
  async signIn(email: string, password: string, via: Via = {}): Promise<Answer> {
    const hidden = await this.openForm('/login', via);
    const answer = await this.post('/login', { ...hidden, email, password }, via);
    if (answer.location !== '/login/second-factor') return answer;
    const code = await testSecondFactorCode(email, new Date());
    if (code === undefined) throw new Error(`${email} has no test authenticator`);
    const second = await this.openForm('/login/second-factor', via);
    return this.post('/login/second-factor', { ...second, code }, via);
  }

  private async send(method: string, path: string, via: Via, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
    if (via.on !== undefined) this.balancer.pinNext(via.on);
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const response = await fetch(`${this.balancer.url}${path}`, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(this.from ? { [TEST_CLIENT]: this.from } : {}), ...(method === 'POST' ? { origin: this.balancer.url } : {}), ...headers },
      body,
    });
    for (const line of response.headers.getSetCookie()) this.remember(line);
    const bytes = Buffer.from(await response.arrayBuffer());
    return { status: response.status, location: response.headers.get('location'), servedBy: response.headers.get(SERVED_BY) ?? '', body: bytes, text: bytes.toString('utf8') };
  }

  private remember(setCookie: string): void {
    const [pair, ...attributes] = setCookie.split(';');
    const [name, ...value] = pair!.split('=');
    const expired = attributes.some((attribute) => {
      const [key, setting] = attribute.trim().split('=');
      if (key!.toLowerCase() === 'max-age') return Number(setting) <= 0;
      return key!.toLowerCase() === 'expires' && new Date(setting!).getTime() < Date.now();
    });
    if (expired) this.cookies.delete(name!.trim());
    else this.cookies.set(name!.trim(), value.join('='));
  }
}
