/**
 * Words for the benchmark's forum (bench/forum-seed.ts): names, agencies, thread titles and
 * post bodies in Markdown, made from a seeded generator so every run seeds the same forum.
 * The topics are the community's own: running agency accounts, moderating public comments,
 * records keeping, accessible video, the code of conduct online.
 */

import type { AgencyType } from '../src/features/admin/schemas.js';

/** A small seeded generator (mulberry32): the same seed gives the same forum. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Random = () => number;

export function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

const FIRST_NAMES = [
  'Priya', 'James', 'Mei', 'Oliver', 'Aisha', 'Thomas', 'Ngaire', 'Lachlan', 'Sofia', 'Daniel', 'Hannah', 'Tariq', 'Grace', 'Liam', 'Fatima', 'Jack',
  'Chloe', 'Ravi', 'Emily', 'Kieran', 'Yasmin', 'Matthew', 'Zoe', 'Hamish', 'Anh', 'Samuel', 'Isla', 'Mohammed', 'Ruby', 'Connor', 'Leila', 'Ethan',
  'Jasmine', 'Nathan', 'Amara', 'Lucas', 'Olivia', 'Dev', 'Charlotte', 'Kai', 'Bridget', 'Hugo', 'Tahnee', 'Aaron', 'Elena', 'Marcus', 'Nikita', 'Callum',
];
const LAST_NAMES = [
  'Nguyen', 'Smith', 'Patel', 'Williams', 'Chen', 'Brown', 'Singh', 'Jones', 'Kelly', 'Wilson', 'Taylor', 'Murphy', 'Ali', 'Martin', 'Walker', 'Tran',
  'Anderson', 'Thompson', 'Kaur', 'White', 'Harris', 'Ryan', 'Lee', 'King', 'Wright', 'Scott', 'Green', 'Baker', 'Hall', 'Campbell', 'Mitchell', 'Young',
  'Roberts', 'Wang', 'Clarke', 'Evans', 'Hughes', 'Edwards', 'Turner', 'Moore', 'Hill', 'Cooper', 'Ward', 'Morris', 'Wood', 'Watson', 'Russell', 'Bell',
];

export const JOB_TITLES = [
  'Social Media Manager', 'Digital Communications Officer', 'Senior Communications Adviser', 'Community Engagement Officer', 'Content Designer',
  'Media Adviser', 'Digital Channels Lead', 'Records Manager', 'Accessibility Specialist', 'Web Content Officer', 'Communications Director',
  'Campaigns Coordinator', 'Video Producer', 'Customer Experience Lead', 'Policy Officer', 'Graphic Designer', 'Editor', 'Information Manager',
  'Engagement Coordinator', 'Executive Officer', 'Emergency Information Officer', 'Data Analyst', 'Public Affairs Officer', 'Assistant Director, Digital',
];

export const AGENCIES: readonly { name: string; type: AgencyType; jurisdiction: 'commonwealth' | 'state' | 'territory' | 'local'; domain: string }[] = [
  { name: 'Department of Finance', type: 'department', jurisdiction: 'commonwealth', domain: 'finance.gov.au' },
  { name: 'Services Australia', type: 'service_delivery', jurisdiction: 'commonwealth', domain: 'servicesaustralia.gov.au' },
  { name: 'Australian Taxation Office', type: 'statutory_body', jurisdiction: 'commonwealth', domain: 'ato.gov.au' },
  { name: 'Department of Health and Aged Care', type: 'department', jurisdiction: 'commonwealth', domain: 'health.gov.au' },
  { name: 'Bureau of Meteorology', type: 'statutory_body', jurisdiction: 'commonwealth', domain: 'bom.gov.au' },
  { name: 'Australian Electoral Commission', type: 'statutory_body', jurisdiction: 'commonwealth', domain: 'aec.gov.au' },
  { name: 'National Archives of Australia', type: 'statutory_body', jurisdiction: 'commonwealth', domain: 'naa.gov.au' },
  { name: 'Digital Transformation Agency', type: 'other', jurisdiction: 'commonwealth', domain: 'dta.gov.au' },
  { name: 'Department of Home Affairs', type: 'department', jurisdiction: 'commonwealth', domain: 'homeaffairs.gov.au' },
  { name: 'Australian Bureau of Statistics', type: 'statutory_body', jurisdiction: 'commonwealth', domain: 'abs.gov.au' },
  { name: 'Department of Education', type: 'department', jurisdiction: 'commonwealth', domain: 'education.gov.au' },
  { name: 'Australian Public Service Commission', type: 'regulator', jurisdiction: 'commonwealth', domain: 'apsc.gov.au' },
  { name: 'NSW Department of Customer Service', type: 'department', jurisdiction: 'state', domain: 'customerservice.nsw.gov.au' },
  { name: 'Transport for NSW', type: 'service_delivery', jurisdiction: 'state', domain: 'transport.nsw.gov.au' },
  { name: 'NSW Rural Fire Service', type: 'service_delivery', jurisdiction: 'state', domain: 'rfs.nsw.gov.au' },
  { name: 'Victorian Department of Health', type: 'department', jurisdiction: 'state', domain: 'health.vic.gov.au' },
  { name: 'Emergency Management Victoria', type: 'statutory_body', jurisdiction: 'state', domain: 'emv.vic.gov.au' },
  { name: 'Queensland Health', type: 'department', jurisdiction: 'state', domain: 'health.qld.gov.au' },
  { name: 'Queensland Police Service', type: 'service_delivery', jurisdiction: 'state', domain: 'police.qld.gov.au' },
  { name: 'SA Department for Education', type: 'department', jurisdiction: 'state', domain: 'education.sa.gov.au' },
  { name: 'WA Department of Fire and Emergency Services', type: 'service_delivery', jurisdiction: 'state', domain: 'dfes.wa.gov.au' },
  { name: 'Tasmanian Department of Premier and Cabinet', type: 'department', jurisdiction: 'state', domain: 'dpac.tas.gov.au' },
  { name: 'ACT Health', type: 'department', jurisdiction: 'territory', domain: 'health.act.gov.au' },
  { name: 'NT Government Communications', type: 'other', jurisdiction: 'territory', domain: 'nt.gov.au' },
  { name: 'City of Sydney', type: 'council', jurisdiction: 'local', domain: 'cityofsydney.nsw.gov.au' },
  { name: 'Brisbane City Council', type: 'council', jurisdiction: 'local', domain: 'brisbane.qld.gov.au' },
  { name: 'City of Melbourne', type: 'council', jurisdiction: 'local', domain: 'melbourne.vic.gov.au' },
  { name: 'City of Ballarat', type: 'council', jurisdiction: 'local', domain: 'ballarat.vic.gov.au' },
  { name: 'Townsville City Council', type: 'council', jurisdiction: 'local', domain: 'townsville.qld.gov.au' },
  { name: 'City of Perth', type: 'council', jurisdiction: 'local', domain: 'perth.wa.gov.au' },
  { name: 'Hobart City Council', type: 'council', jurisdiction: 'local', domain: 'hobartcity.tas.gov.au' },
  { name: 'Shire of Broome', type: 'council', jurisdiction: 'local', domain: 'broome.wa.gov.au' },
];

export interface Person {
  displayName: string;
  handle: string;
  emailLocal: string;
}

/** Member number `n` (from 1): a name, and a handle and address made unique by the number. */
export function personFor(n: number, random: Random): Person {
  const first = pick(random, FIRST_NAMES);
  const last = pick(random, LAST_NAMES);
  return { displayName: `${first} ${last}`, handle: `${first}_${last}_${n}`.toLowerCase(), emailLocal: `${first}.${last}.${n}`.toLowerCase() };
}

const SUBJECTS = [
  'moderating comments on a Facebook page', 'archiving posts for records keeping', 'captioning short videos', 'audio description for campaign videos',
  'approvals for reactive posts', 'after-hours monitoring', 'a scheduling tool for a small team', 'responding to trolls on X', 'a social media policy refresh',
  'the APS code of conduct and personal accounts', 'alt text for infographics', 'plain language in emergency posts', 'measuring engagement for the executive',
  'handing over account passwords', 'two-factor authentication on shared accounts', 'a crisis communication plan', 'LinkedIn for recruitment campaigns',
  'hiding versus deleting comments', 'keeping direct messages as records', 'live captions for press conferences', 'TikTok under the protective security guidance',
  'a comment moderation guideline', 'reporting impersonation accounts', 'Instagram Stories and accessibility', 'election caretaker periods online',
  'staff commenting on agency posts', 'paid promotion approvals', 'image rights and consent forms', 'community managers rostering', 'retention of deleted posts',
];
const TITLE_SHAPES: readonly ((subject: string) => string)[] = [
  (s) => `How do you handle ${s}?`,
  (s) => `Advice on ${s}`,
  (s) => `What works for ${s}?`,
  (s) => `Has anyone changed their approach to ${s}?`,
  (s) => `Looking for examples: ${s}`,
  (s) => `Lessons learned from ${s}`,
  (s) => `Guidance on ${s} for a small team`,
  (s) => `Question about ${s}`,
  (s) => `Templates for ${s}`,
  (s) => `${s[0]!.toUpperCase()}${s.slice(1)}: where do you draw the line?`,
];
const TITLE_TAILS = ['', '', '', ' (state agency)', ' in a regional council', ' during a bushfire season', ' after the restructure', ' on a tight budget'];

export function threadTitle(random: Random): string {
  return `${pick(random, TITLE_SHAPES)(pick(random, SUBJECTS))}${pick(random, TITLE_TAILS)}`;
}

const SENTENCES = [
  'We moved our moderation rules into a one-page guideline that sits pinned on the page.',
  'Our records team asked us to capture every post, reply and direct message, not just what we publish.',
  'The biggest change for us was agreeing on who can approve a reactive post after hours.',
  'We caption everything now, including the fifteen-second clips, because people watch without sound.',
  'Hiding a comment keeps the author unaware, which is useful, but it still needs to be recorded.',
  'Legal advised that deleting public comments can look like censorship unless the guideline covers it.',
  'We run a weekly report for the executive with reach, engagement and the three posts that did best.',
  'Shared passwords were a problem until we moved every account into a password manager with two-factor.',
  'During the floods our community managers worked in pairs so nobody was alone with the abuse.',
  'Alt text goes in the approval form now, so it is written by the person who knows the image.',
  'Our policy says staff may like and share agency posts but should not argue in the comments.',
  'The archiving service costs less than we feared and captures edits as well as deletions.',
  'We tested the captions with a screen reader user and found the speaker names were missing.',
  'Plain language helped most: short sentences, the action first, and the date in full.',
  'The caretaker conventions mean we pause anything that could look like promoting the government.',
  'Our approval chain had five steps, which was fine for campaigns but useless for an emergency.',
  'We keep a log of every account, who owns it, and when its recovery details were last checked.',
  'Impersonation accounts get reported through the platform first and then escalated through our contact.',
  'Audio description was the hardest part: we now script it at the storyboard stage.',
  'Paid promotion goes through procurement, so we plan the spend a quarter ahead.',
  'We stopped using trending audio after a track was pulled and our videos went silent.',
  'The records authority treats our posts like correspondence, so the retention period is seven years.',
  'A rostered community manager checks the pages at eight, twelve and four on weekends.',
  'Comments with personal information are hidden straight away and the person is contacted privately.',
  'We learned to write the holding statement before we need it and keep it in the crisis folder.',
  'Our accessibility checklist is short: captions, alt text, contrast, and no text inside images.',
  'Staff with personal accounts are reminded that the code of conduct applies whenever they are identifiable.',
  'The platform changed its API again, so our scheduling tool lost the ability to post to groups.',
  'Engagement numbers alone misled us; we now look at how many people clicked through to the service.',
  'We ask for consent in writing before featuring a member of the public, and keep the form with the image.',
  'For live press conferences we book a captioner and an Auslan interpreter in the same request.',
  'The moderation guideline is reviewed every year and whenever a new platform is added.',
  'Our small team uses one shared inbox for direct messages so nothing is missed during leave.',
  'We found it useful to tag posts by campaign so reporting takes minutes rather than days.',
  'When a post goes wrong we correct it in a reply and keep the original, rather than deleting it.',
];
const OPENERS = ['Thanks for raising this.', 'Good question.', 'We had the same problem last year.', 'Agree with the above.', 'Short answer: it depends on your records authority.', 'This comes up every few months in our team.', 'Following, as we are about to do the same.', 'Happy to share what we did.'];
const CLOSERS = ['Happy to share our template if it helps.', 'Keen to hear how others do it.', 'Hope that helps.', 'Send me a message if you want the details.', 'It is not perfect, but it works for us.', 'Would love to compare notes.'];
const LIST_ITEMS = [
  'who approves a post, and who approves it after hours', 'where the records are kept and for how long', 'which comments are hidden and which are deleted',
  'captions on every video, burned in for short clips', 'alt text written before the post is approved', 'two-factor authentication on every account',
  'a holding statement ready for each likely emergency', 'a weekly check of account recovery details', 'an escalation path for threats and self-harm',
  'a named owner for each account', 'a log of changes to the moderation guideline', 'plain language and the action first',
  'a quarterly review of the scheduling tool', 'consent forms filed with the images', 'reporting that links posts to outcomes',
];
const LINKS = [
  ['the records authority guidance', 'https://www.naa.gov.au/information-management'],
  ['the Style Manual', 'https://www.stylemanual.gov.au/'],
  ['the W3C guide to making audio and video accessible', 'https://www.w3.org/WAI/media/av/'],
  ['our published moderation guideline', 'https://www.example.gov.au/social-media/moderation-guideline'],
  ['the code of conduct guidance on social media', 'https://www.apsc.gov.au/'],
  ['the platform help page on hiding comments', 'https://www.facebook.com/help/'],
] as const;
const INLINE_CODE = ['#BushfireReady', 'utm_source=facebook', 'alt=""', 'SRT', 'WebVTT'];

export function sentences(random: Random, count: number): string {
  return Array.from({ length: count }, () => pick(random, SENTENCES)).join(' ');
}

function paragraph(random: Random, mentionHandles: readonly string[]): string {
  let text = sentences(random, 1 + Math.floor(random() * 4));
  const roll = random();
  if (roll < 0.15) {
    const [label, href] = pick(random, LINKS);
    text += ` See [${label}](${href}).`;
  } else if (roll < 0.22) {
    text += ` There is more at ${pick(random, LINKS)[1]}`;
  } else if (roll < 0.3) {
    text += ` We tag these with \`${pick(random, INLINE_CODE)}\`.`;
  } else if (roll < 0.38) {
    text = `**${text.split('. ')[0]}.** ${text.split('. ').slice(1).join('. ')}`.trim();
  }
  if (random() < 0.12 && mentionHandles.length > 0) text += ` @${pick(random, mentionHandles)} may know more about this.`;
  return text;
}

function list(random: Random): string {
  const ordered = random() < 0.35;
  const items = Array.from({ length: 3 + Math.floor(random() * 3) }, () => pick(random, LIST_ITEMS));
  return items.map((item, i) => `${ordered ? `${i + 1}.` : '-'} ${item[0]!.toUpperCase()}${item.slice(1)}`).join('\n');
}

/**
 * A post body in Markdown: one short paragraph (most replies), a few blocks, or a long post
 * with a heading, lists, links, a quote now and then, and @mentions of `mentionHandles`.
 */
export function postBody(random: Random, mentionHandles: readonly string[]): string {
  const roll = random();
  const blocks: string[] = [];
  if (random() < 0.3) blocks.push(pick(random, OPENERS));
  if (roll < 0.4) {
    blocks.push(paragraph(random, mentionHandles));
  } else if (roll < 0.82) {
    if (random() < 0.2) blocks.push(`> ${sentences(random, 1 + Math.floor(random() * 2))}`);
    blocks.push(paragraph(random, mentionHandles));
    blocks.push(random() < 0.5 ? list(random) : paragraph(random, mentionHandles));
    if (random() < 0.5) blocks.push(paragraph(random, mentionHandles));
  } else {
    blocks.push(paragraph(random, mentionHandles));
    blocks.push(`### ${pick(random, ['What we do', 'Our process', 'What we learned', 'The short version', 'Background'])}`);
    blocks.push(paragraph(random, mentionHandles), list(random), paragraph(random, mentionHandles));
    if (random() < 0.3) blocks.push(`> ${sentences(random, 2)}`);
    if (random() < 0.25) blocks.push('| Channel | Check | Owner |\n|---|---|---|\n| Facebook | Hourly | Community manager |\n| Instagram | Twice a day | Content team |\n| LinkedIn | Daily | Campaigns |');
    blocks.push(paragraph(random, mentionHandles));
  }
  if (random() < 0.3) blocks.push(pick(random, CLOSERS));
  return blocks.join('\n\n');
}

/*
 * Search's vocabulary (issue 13). The bodies above come from a few dozen sentences, so every
 * word in them is in a good share of the posts, and no word is rare. A forum's text has a long
 * tail: a town, a tool, an event named by a handful of posts among a million. The sizes made for
 * the search benchmark add to each post one or two sentences from a pool of fragments made
 * here: templates whose slots are filled from word lists, each list drawn log-uniformly (a word's
 * chance about 1 / its rank, as words go in text), so the first of each list is common and the
 * last rare. Plain words only (no Markdown, nothing HTML escapes): a fragment renders as itself
 * in a paragraph, which bench/forum-seed.ts checks with the app's renderer.
 */

const NOUNS = [
  'comments', 'posts', 'approvals', 'records', 'captions', 'videos', 'guidelines', 'campaigns', 'accounts', 'reports', 'images', 'messages', 'replies',
  'passwords', 'templates', 'rosters', 'complaints', 'corrections', 'transcripts', 'newsletters', 'surveys', 'dashboards', 'hashtags', 'livestreams',
  'webinars', 'podcasts', 'infographics', 'storyboards', 'thumbnails', 'polls', 'carousels', 'contracts', 'invoices', 'licences', 'consent forms',
  'screenshots', 'handovers', 'inductions', 'audits', 'risk registers', 'spreadsheets', 'calendars', 'workflows', 'inboxes', 'tickets', 'sentiment scores',
  'rumours', 'scams', 'phishing attempts', 'impersonators', 'verification badges', 'style sheets', 'glossaries', 'translations', 'subtitles', 'interpreters',
  'media releases', 'talking points', 'briefing notes', 'ministerials', 'estimates questions', 'freedom of information requests', 'retention schedules',
  'disposal authorities', 'metadata fields', 'archive exports', 'backup codes', 'recovery emails', 'service desk tickets', 'chatbot scripts', 'quick replies',
  'auto responses', 'block lists', 'keyword filters', 'profanity filters', 'escalation matrices', 'duty statements', 'position descriptions', 'key messages',
  'readability scores', 'colour palettes', 'brand guidelines', 'logo lockups', 'watermarks', 'alt descriptions', 'audio tracks', 'sign language videos',
  'easy read versions', 'plain English summaries', 'usability tests', 'focus groups', 'stakeholder maps', 'heat maps', 'click maps', 'tracking pixels',
  'cookie banners', 'privacy notices', 'privacy impact assessments', 'threat assessments', 'incident logs', 'shift notes', 'welfare checks', 'debriefs',
];
const PLATFORMS = [
  'Facebook', 'Instagram', 'LinkedIn', 'YouTube', 'TikTok', 'Threads', 'Bluesky', 'Mastodon', 'Reddit', 'WhatsApp', 'Hootsuite', 'Canva', 'Sprout Social',
  'Buffer', 'Meltwater', 'Brandwatch', 'Sprinklr', 'Yammer', 'Teams', 'SharePoint', 'Trello', 'Asana', 'Airtable', 'Zendesk', 'Mailchimp', 'Figma',
  'Premiere', 'CapCut', 'Descript', 'Vimeo', 'Flickr', 'Pinterest', 'Snapchat', 'Nextdoor', 'Discord', 'Telegram', 'WeChat', 'Loomly', 'Agorapulse', 'Talkwalker',
];
const PLACES = [
  'Sydney', 'Melbourne', 'Brisbane', 'Perth', 'Adelaide', 'Hobart', 'Canberra', 'Darwin', 'Geelong', 'Newcastle', 'Wollongong', 'Townsville', 'Cairns',
  'Toowoomba', 'Ballarat', 'Bendigo', 'Launceston', 'Mackay', 'Rockhampton', 'Bundaberg', 'Parramatta', 'Penrith', 'Ipswich', 'Logan', 'Gosford', 'Albury',
  'Wodonga', 'Wagga Wagga', 'Mildura', 'Dubbo', 'Tamworth', 'Orange', 'Bathurst', 'Lismore', 'Grafton', 'Armidale', 'Shepparton', 'Warrnambool', 'Horsham',
  'Traralgon', 'Gladstone', 'Emerald', 'Longreach', 'Mount Isa', 'Gympie', 'Hervey Bay', 'Nambour', 'Queanbeyan', 'Goulburn', 'Cooma', 'Bega', 'Moruya',
  'Kempsey', 'Taree', 'Coffs Harbour', 'Port Macquarie', 'Ballina', 'Byron Bay', 'Murwillumbah', 'Moree', 'Narrabri', 'Gunnedah', 'Mudgee', 'Parkes',
  'Forbes', 'Griffith', 'Leeton', 'Deniliquin', 'Echuca', 'Swan Hill', 'Ararat', 'Portland', 'Colac', 'Bairnsdale', 'Lakes Entrance', 'Mansfield',
  'Benalla', 'Wangaratta', 'Castlemaine', 'Stawell', 'Devonport', 'Burnie', 'Queenstown', 'Smithton', 'Scottsdale', 'Alice Springs', 'Katherine',
  'Tennant Creek', 'Nhulunbuy', 'Jabiru', 'Karratha', 'Port Hedland', 'Geraldton', 'Albany', 'Bunbury', 'Esperance', 'Kalgoorlie', 'Carnarvon', 'Exmouth',
  'Derby', 'Kununurra', 'Halls Creek', 'Newman', 'Tom Price', 'Northam', 'Narrogin', 'Merredin', 'Manjimup', 'Busselton', 'Margaret River', 'Whyalla',
  'Port Augusta', 'Port Lincoln', 'Ceduna', 'Mount Gambier', 'Murray Bridge', 'Victor Harbor', 'Renmark', 'Roxby Downs', 'Naracoorte', 'Coober Pedy',
  'Broken Hill', 'Thursday Island', 'Weipa', 'Yulara',
];
const EVENTS = [
  'bushfire season', 'floods', 'budget', 'election', 'heatwave', 'cyclone', 'storm season', 'school holidays', 'restructure', 'census', 'outbreak',
  'vaccination rollout', 'by-election', 'drought', 'Anzac Day service', 'NAIDOC Week', 'Reconciliation Week', 'royal commission', 'senate estimates',
  'machinery of government change', 'data breach', 'system outage', 'website migration', 'hailstorm', 'earthquake', 'landslide', 'boil water notice',
  'fish kill', 'mouse plague', 'locust swarm', 'algal bloom', 'shark sighting',
];
const VERBS = [
  'reviewed', 'rewrote', 'trialled', 'dropped', 'simplified', 'automated', 'audited', 'archived', 'scheduled', 'paused', 'escalated', 'published',
  'tested', 'measured', 'documented', 'rostered', 'approved', 'translated', 'moderated', 'migrated', 'benchmarked', 'consolidated', 'retired', 'piloted',
  'outsourced', 'insourced', 'digitised', 'reconciled', 'triaged', 'decommissioned', 'storyboarded', 'geotagged', 'redacted', 'declassified',
];
const QUALITIES = [
  'slower', 'faster', 'clearer', 'harder', 'easier', 'cheaper', 'busier', 'quieter', 'messier', 'stricter', 'shorter', 'longer', 'noisier', 'calmer',
  'friendlier', 'angrier', 'patchier', 'costlier', 'sturdier', 'flimsier', 'livelier', 'gloomier', 'trickier', 'thornier',
];
const ROLES = [
  'duty officer', 'records manager', 'community manager', 'media adviser', 'executive', 'minister', 'legal team', 'privacy officer', 'accessibility lead',
  'web team', 'contact centre', 'service desk', 'procurement officer', 'security adviser', 'chief information officer', 'deputy secretary',
  'graduate', 'contractor', 'volunteer coordinator', 'ombudsman',
];

/** An item of `items`, the first most often: rank r comes with chance about 1 / (r ln n). */
export function zipfPick<T>(random: Random, items: readonly T[]): T {
  const rank = Math.floor(Math.exp(random() * Math.log(items.length + 1)));
  return items[Math.min(items.length, Math.max(1, rank)) - 1]!;
}

const FRAGMENT_SHAPES: readonly ((random: Random) => string)[] = [
  (r) => `In ${zipfPick(r, PLACES)} we ${zipfPick(r, VERBS)} the ${zipfPick(r, NOUNS)} before the ${zipfPick(r, EVENTS)}.`,
  (r) => `The ${zipfPick(r, NOUNS)} on ${zipfPick(r, PLATFORMS)} were ${zipfPick(r, QUALITIES)} than we expected during the ${zipfPick(r, EVENTS)}.`,
  (r) => `Our team ${zipfPick(r, VERBS)} the ${zipfPick(r, NOUNS)} and the ${zipfPick(r, NOUNS)} for the ${zipfPick(r, PLACES)} office.`,
  (r) => `Has anyone used ${zipfPick(r, PLATFORMS)} for ${zipfPick(r, NOUNS)} with a ${zipfPick(r, ROLES)} signing off?`,
  (r) => `We keep the ${zipfPick(r, NOUNS)} in ${zipfPick(r, PLATFORMS)} so the ${zipfPick(r, ROLES)} can find them after the ${zipfPick(r, EVENTS)}.`,
  (r) => `After the ${zipfPick(r, EVENTS)} in ${zipfPick(r, PLACES)} the ${zipfPick(r, NOUNS)} took ${2 + Math.floor(r() * 11)} weeks to sort out.`,
  (r) => `The ${zipfPick(r, ROLES)} asked for ${zipfPick(r, NOUNS)} every ${pick(r, ['morning', 'week', 'fortnight', 'month', 'quarter'])}, which made the ${zipfPick(r, NOUNS)} ${zipfPick(r, QUALITIES)}.`,
  (r) => `Moving from ${zipfPick(r, PLATFORMS)} to ${zipfPick(r, PLATFORMS)} made our ${zipfPick(r, NOUNS)} ${zipfPick(r, QUALITIES)} but the ${zipfPick(r, NOUNS)} ${zipfPick(r, QUALITIES)}.`,
  (r) => `Our ${zipfPick(r, PLACES)} colleagues ${zipfPick(r, VERBS)} their ${zipfPick(r, NOUNS)} and said the ${zipfPick(r, ROLES)} noticed straight away.`,
  (r) => `For the ${zipfPick(r, EVENTS)} the ${zipfPick(r, ROLES)} ${zipfPick(r, VERBS)} the ${zipfPick(r, NOUNS)} on ${zipfPick(r, PLATFORMS)}.`,
];

/** `count` sentences for the search benchmark's posts, the same for the same generator. */
export function searchFragments(random: Random, count: number): string[] {
  return Array.from({ length: count }, () => pick(random, FRAGMENT_SHAPES)(random));
}
