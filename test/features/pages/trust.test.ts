import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Browser, buildTestApp, type TestApp } from '../../support/app.js';
import { createMember, signedInBrowser } from '../../support/members.js';

// Issue 7, item 7: the site says who runs it, how accessible it is and that it is in beta.
const OPERATOR = 'Department of Example Services';
let t: TestApp;
beforeAll(async () => {
  t = await buildTestApp({ env: { OPERATOR_NAME: OPERATOR, CONTACT_EMAIL: 'Commons team <commons-team@example.gov.au>' } });
});
afterAll(async () => t.close());

function footerOf(html: string): string {
  return /<footer class="site-footer">[\s\S]*<\/footer>/.exec(html)?.[0] ?? '';
}

describe('who runs the site', () => {
  it('names the operator (OPERATOR_NAME) in the footer of every page, signed in or not', async () => {
    const member = await createMember(t.db);
    const signedIn = await signedInBrowser(t.app, member, member.password);
    for (const html of [(await new Browser(t.app).get('/')).body, (await new Browser(t.app).get('/no-such-page')).body, (await signedIn.get('/settings')).body]) {
      expect(footerOf(html)).toContain(`Commons is run by ${OPERATOR}.`);
    }
  });

  it('names the operator as "we" in the privacy notice, with the contact address', async () => {
    const page = (await new Browser(t.app).get('/privacy')).body;
    expect(page).toContain(`Commons is run by ${OPERATOR} on behalf of the government agencies that take part. In this notice, "we" and "us" mean ${OPERATOR}.`);
    expect(page).toContain('<a href="mailto:commons-team@example.gov.au">commons-team@example.gov.au</a>');
  });

  it('says nothing about an operator it was not told of', async () => {
    const anonymous = await buildTestApp({ database: t.database });
    try {
      const html = (await new Browser(anonymous.app).get('/')).body;
      expect(footerOf(html)).not.toContain('is run by');
    } finally {
      await anonymous.close();
    }
  });
});

describe('GET /accessibility', () => {
  it('is public and linked from every footer', async () => {
    const response = await new Browser(t.app).get('/accessibility');
    expect(response.statusCode).toBe(200);
    expect(footerOf((await new Browser(t.app).get('/')).body)).toContain('<a href="/accessibility">Accessibility</a>');
  });

  it('states the standard, the known gaps and how to report a problem', async () => {
    const page = (await new Browser(t.app).get('/accessibility')).body;
    expect(page).toContain('<h1>Accessibility statement</h1>');
    expect(page).toContain('WCAG) 2.2</a> at level AA');
    expect(page).toContain('<h2>Known gaps</h2>');
    expect(page).toContain('<h2>Tell us about a problem</h2>');
    expect(page).toContain('<a href="/contact">contact form</a>');
    expect(page).toContain('mailto:commons-team@example.gov.au');
  });
});

describe('the phase banner', () => {
  const BANNER = /<div class="phase-banner">[\s\S]*?Beta[\s\S]*?your <a href="\/contact">feedback<\/a> will help us improve it\.[\s\S]*?<\/div>/;

  it('says on every page that the service is in beta, asking for feedback through the contact page', async () => {
    for (const path of ['/', '/login', '/accessibility']) expect((await new Browser(t.app).get(path)).body).toMatch(BANNER);
  });

  it('is turned off by PHASE_BANNER=false', async () => {
    const live = await buildTestApp({ database: t.database, env: { PHASE_BANNER: 'false' } });
    try {
      const html = (await new Browser(live.app).get('/')).body;
      expect(html).not.toContain('phase-banner');
      expect(html).not.toContain('feedback</a> will help us improve it');
    } finally {
      await live.close();
    }
  });
});

describe('the mark', () => {
  it('sits beside the site name, as a decoration the site name already names', async () => {
    const html = (await new Browser(t.app).get('/')).body;
    expect(html).toContain('<a class="site-name" href="/"><img class="site-name__mark" src="/static/mark.svg" alt="" width="32" height="32">Commons</a>');
    const svg = await new Browser(t.app).get('/static/mark.svg');
    expect(svg.statusCode).toBe(200);
    expect(svg.headers['content-type']).toContain('image/svg+xml');
    expect(svg.body).not.toMatch(/<script|on\w+=/i);
  });
});
