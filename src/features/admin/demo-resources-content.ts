import type { AgencyType, Jurisdiction } from './schemas.js';

/**
 * The demo library for `npm run seed`: resources the demo members share, written in our own
 * words after the kinds of success stories the seeds describe (../shared/seeds/004). Agencies
 * are named as in demo-data.ts, plus three that members share on behalf of.
 */

/** The demo agencies' types, and the agencies members share on behalf of (no domain rule, no members). */
export const DEMO_AGENCY_TYPES: ReadonlyArray<{ name: string; jurisdiction: Jurisdiction; agencyType: AgencyType }> = [
  { name: 'Department of Example Services', jurisdiction: 'commonwealth', agencyType: 'department' },
  { name: 'Example State Health', jurisdiction: 'state', agencyType: 'service_delivery' },
  { name: 'Example Shire Council', jurisdiction: 'local', agencyType: 'council' },
  { name: 'Example Revenue Office', jurisdiction: 'state', agencyType: 'regulator' },
  { name: 'Example Transport Services', jurisdiction: 'territory', agencyType: 'service_delivery' },
  { name: 'Example Public Records Authority', jurisdiction: 'commonwealth', agencyType: 'statutory_body' },
];

/** A small file the seed generates: its bytes are made in demo-files.ts, never read from disk. */
export type DemoFile = { kind: 'pdf'; name: string; title: string; lines: string[] } | { kind: 'csv'; name: string; rows: string[][] } | { kind: 'png'; name: string; bars: number[] };

export interface DemoResource {
  key: string;
  kind: 'case_study' | 'guide' | 'template' | 'policy' | 'presentation' | 'link' | 'other';
  title: string;
  summary: string;
  body: string;
  sections?: { context: string; approach: string; outcome: string; lessons: string };
  tags: string[];
  initiativeTypes: string[];
  sharer: string;
  /** Shared on behalf of this agency; the sharer's own otherwise. */
  agency?: string;
  externalUrl?: string;
  files?: DemoFile[];
  featured?: boolean;
  helpful?: string[];
  /** When it was shared, as the demo forum says it: "40d 09:40" is 40 days ago at 9:40 am. */
  at: string;
}

export const DEMO_RESOURCES: readonly DemoResource[] = [
  {
    key: 'council-bin-night',
    kind: 'case_study',
    title: 'Answering bin-night questions in the council’s Facebook comments',
    summary: 'A small council team moved routine waste questions from the phone queue to public replies on its Facebook page, with a same-day reply standard and a shared answer bank, and cut calls about collection days by a third.',
    body: 'The answer bank and the weekly report template are attached. Happy to share the roster we use for weekends.',
    sections: {
      context: 'Every change to the collection calendar filled the customer service queue for a week. Most calls asked one of five questions, and residents were already asking them in the comments under our posts, where nobody from the council answered.',
      approach: 'We wrote a bank of twenty approved answers with the waste team, agreed that the engagement officer could post them without further sign-off, and set a standard of a reply the same working day. Anything about a specific property moved to a private message or a phone call. We measured calls and comments weekly for three months.',
      outcome: 'Calls about collection days fell by roughly a third over the three months. Comments got faster and friendlier, and other residents began answering each other with links to our replies. The waste team now asks for a post before a calendar change rather than after.',
      lessons: '- Agree the approved answers *before* the busy week, not during it.\n- Give the person replying the authority to reply.\n- Count the calls as well as the likes: the calls are what the executive cares about.',
    },
    tags: ['facebook', 'customer-service', 'waste'],
    initiativeTypes: ['service-delivery', 'engagement-and-communication'],
    sharer: 'mei_chen',
    files: [
      { kind: 'csv', name: 'weekly-calls-and-comments.csv', rows: [['week', 'calls about collection', 'comments answered', 'median reply (hours)'], ['1', '412', '38', '6.5'], ['2', '388', '51', '4.0'], ['3', '341', '64', '3.5'], ['4', '305', '70', '3.0'], ['5', '297', '66', '2.5'], ['6', '281', '73', '2.5']] },
      { kind: 'png', name: 'calls-per-week.png', bars: [412, 388, 341, 305, 297, 281] },
    ],
    featured: true,
    helpful: ['sam_oconnor', 'tom_nguyen', 'priya_raman'],
    at: '40d 09:40',
  },
  {
    key: 'health-campaign-evaluation',
    kind: 'case_study',
    title: 'Evaluating a winter flu campaign across three platforms',
    summary: 'How a state health communications team set measures before launch, compared paid and organic reach across three platforms, and reported what changed behaviour rather than what drew clicks.',
    body: 'The evaluation summary is attached as a PDF; the raw figures are in the CSV.',
    sections: {
      context: 'Past campaigns reported impressions and little else, and the executive had started to ask what the advertising budget bought.',
      approach: 'We agreed three measures with the program area before launch: bookings through the online form, calls to the advice line, and the share of comments asking where to get vaccinated. We ran the same creative on three platforms, split the budget evenly for the first fortnight, then moved it to where bookings followed.',
      outcome: 'Bookings through the form rose during the campaign weeks and fell back after, while the advice line barely moved. One platform drew most impressions and almost no bookings; we moved its budget in week three.',
      lessons: '- Name the behaviour you want before you buy a single impression.\n- Keep a fortnight of even spend so the comparison is fair.\n- Write the evaluation for the program area, not for the communications team.',
    },
    tags: ['campaigns', 'evaluation', 'public-health'],
    initiativeTypes: ['engagement-and-communication', 'data-and-reporting'],
    sharer: 'tom_nguyen',
    files: [
      { kind: 'pdf', name: 'flu-campaign-evaluation-summary.pdf', title: 'Winter flu campaign: evaluation summary', lines: ['Measures agreed before launch: online bookings, advice line calls, comments asking where to go.', 'Budget split evenly for two weeks, then moved to the platforms where bookings followed.', 'Result: bookings rose in campaign weeks; one platform gave reach but no bookings.', 'Recommendation: set behavioural measures first; report to the program area.'] },
      { kind: 'csv', name: 'campaign-figures.csv', rows: [['week', 'platform', 'spend', 'impressions', 'bookings'], ['1', 'A', '1500', '210000', '340'], ['1', 'B', '1500', '480000', '95'], ['1', 'C', '1500', '150000', '260'], ['2', 'A', '1500', '230000', '365'], ['2', 'B', '1500', '505000', '88'], ['2', 'C', '1500', '160000', '281']] },
    ],
    featured: true,
    helpful: ['priya_raman', 'leah_fitzgerald'],
    at: '33d 14:05',
  },
  {
    key: 'records-capture',
    kind: 'case_study',
    title: 'Capturing social media records without a new system',
    summary: 'A records team and a digital team agreed which posts and replies are records, captured them monthly with the platforms’ own exports, and satisfied an audit without buying an archiving tool.',
    body: 'We are now looking at whether the monthly export can be automated; ask in the thread if you have tried it.',
    sections: {
      context: 'An internal audit found that decisions announced only on social media were not in the records system, and a vendor quote for an archiving tool was well beyond the budget.',
      approach: 'We mapped our posts against the general records authority, agreed that announcements, replies giving advice and moderation decisions are records, and scheduled a monthly export of each account into the records system with a short cover note.',
      outcome: 'The follow-up audit closed the finding. The export takes about an hour a month across four accounts, and the cover note has become a useful monthly summary for the executive.',
      lessons: '- Start from the records authority, not from the tool.\n- Decide what is *not* a record as clearly as what is.\n- A monthly habit beats a perfect system that never arrives.',
    },
    tags: ['records', 'audit', 'archiving'],
    initiativeTypes: ['corporate-and-back-office', 'data-and-reporting'],
    sharer: 'daniel_okafor',
    agency: 'Example Public Records Authority',
    files: [{ kind: 'pdf', name: 'what-counts-as-a-record.pdf', title: 'Social media: what counts as a record', lines: ['Records: announcements, advice given in replies, moderation decisions, complaints received.', 'Not records: shares of other agencies\u2019 posts, likes, routine acknowledgements.', 'Capture: monthly export per account, filed with a cover note naming the period.'] }],
    helpful: ['priya_raman', 'sam_oconnor', 'mei_chen'],
    at: '26d 11:20',
  },
  {
    key: 'shared-captioning',
    kind: 'case_study',
    title: 'A shared captioning panel for five small agencies',
    summary: 'Five small agencies that each published a few videos a month pooled their demand into one captioning and transcript panel, halving the price per minute and meeting accessibility standards on every video.',
    body: '',
    sections: {
      context: 'Each agency bought captions one video at a time, at short notice and full price, and some videos went out without them.',
      approach: 'One agency led a joint approach to market on behalf of the five, with a common specification for captions, transcripts and audio description, and a simple ordering form any of the five could use.',
      outcome: 'The price per minute roughly halved, turnaround became predictable, and every video published by the five since has captions and a transcript on the day it goes live.',
      lessons: '- Small agencies have buying power together that none has alone.\n- A common specification is most of the work; write it with the accessibility adviser.\n- Agree up front who owns the contract and how costs are shared.',
    },
    tags: ['accessibility', 'captions', 'procurement'],
    initiativeTypes: ['collaboration-and-shared-services', 'service-delivery'],
    sharer: 'leah_fitzgerald',
    featured: true,
    helpful: ['mei_chen', 'tom_nguyen'],
    at: '19d 10:30',
  },
  {
    key: 'moderation-guide',
    kind: 'guide',
    title: 'Moderating public comments on agency accounts: a working guide',
    summary: 'What to hide, what to leave, when to reply and how to record the decision, with examples from the comment threads members brought to this forum.',
    body: '## Start from a published policy\n\nPublish a short comment policy and link it from every account. Moderation you can point to is moderation you can defend.\n\n## Hide, do not delete\n\nHiding keeps the record; deleting loses it. Record why, in a line.\n\n## Reply to the question, not the tone\n\nA civil, factual reply to an angry question is read by many more people than the person who asked it.',
    tags: ['moderation', 'comment-policy'],
    initiativeTypes: ['engagement-and-communication'],
    sharer: 'tom_nguyen',
    helpful: ['mei_chen'],
    at: '50d 15:45',
  },
  {
    key: 'approval-template',
    kind: 'template',
    title: 'Template: one-page approval for a new social media account',
    summary: 'The one page an executive needs to approve a new account: purpose, audience, who runs it, how it is moderated and recorded, and when it will be reviewed or closed.',
    body: 'Fill in each heading in a sentence or two. If a heading takes more than a paragraph, the account probably is not ready.\n\n1. Purpose\n2. Audience\n3. Who runs it, and who covers leave\n4. Moderation and records\n5. Measures of success\n6. Review date',
    tags: ['governance', 'approvals'],
    initiativeTypes: ['corporate-and-back-office'],
    sharer: 'priya_raman',
    files: [{ kind: 'pdf', name: 'new-account-approval-template.pdf', title: 'New social media account: approval', lines: ['1. Purpose: why this account, and why not an existing one?', '2. Audience: who, and where they already are.', '3. Who runs it, and who covers leave.', '4. Moderation and records.', '5. Measures of success.', '6. Review date.'] }],
    helpful: ['sam_oconnor', 'daniel_okafor'],
    at: '60d 09:10',
  },
  {
    key: 'staff-use-policy',
    kind: 'policy',
    title: 'Staff personal use of social media: a plain-language policy',
    summary: 'A two-page policy for staff posting in a personal capacity: what the code of conduct asks, how to avoid speaking for the agency, and who to ask when unsure.',
    body: 'We replaced a nine-page policy with this one after staff told us they had never read the old one. The test we now use: *would a reasonable person think you were speaking for the agency?*',
    tags: ['code-of-conduct', 'staff'],
    initiativeTypes: ['staff-capability'],
    sharer: 'priya_raman',
    helpful: ['tom_nguyen', 'mei_chen', 'leah_fitzgerald'],
    at: '45d 13:25',
  },
  {
    key: 'consultation-slides',
    kind: 'presentation',
    title: 'Running an online consultation people actually join (slides)',
    summary: 'Slides from a lunchtime talk: choosing the question, going where people already are, closing the loop, and reporting back in public.',
    body: 'Speaker notes are in the summary PDF. The talk took 25 minutes with questions.',
    tags: ['consultation', 'engagement'],
    initiativeTypes: ['engagement-and-communication', 'staff-capability'],
    sharer: 'sam_oconnor',
    files: [{ kind: 'pdf', name: 'online-consultation-talk-notes.pdf', title: 'Running an online consultation: speaker notes', lines: ['Ask one question people can answer in a minute.', 'Go where they already are; do not make them register.', 'Close the loop: say what changed because they answered.'] }],
    at: '12d 12:00',
  },
  {
    key: 'revenue-chat',
    kind: 'case_study',
    title: 'Web chat for payment arrangements',
    summary: 'A revenue office added web chat for people who could not pay on time, staffed by the same officers who take calls, and saw more arrangements made earlier and fewer debts referred for recovery.',
    body: 'Shared on behalf of the revenue office’s customer experience team, with their permission.',
    sections: {
      context: 'People in hardship avoided phoning about an overdue assessment until it was referred for recovery, when the options had narrowed.',
      approach: 'Web chat on the overdue-notice page, staffed by the officers who take hardship calls, with the same authority to agree an arrangement on the spot and a plain-language script reviewed by a financial counsellor.',
      outcome: 'More arrangements were made in the first month after a notice, and fewer debts went to recovery. Chat sessions were shorter than calls for the same outcome.',
      lessons: '- Put the help where the worry is: on the notice page.\n- Give chat the same authority as the phone.\n- Test the script with someone who works with people in hardship.',
    },
    tags: ['web-chat', 'hardship', 'customer-service'],
    initiativeTypes: ['service-delivery', 'digital-transformation'],
    sharer: 'sam_oconnor',
    agency: 'Example Revenue Office',
    helpful: ['priya_raman'],
    at: '8d 16:10',
  },
  {
    key: 'transport-alerts',
    kind: 'link',
    title: 'Service disruption alerts: the transport operator’s public playbook',
    summary: 'A transport operator publishes how it words and times disruption alerts across its app, website and social accounts. A useful model for any agency that has to tell people about outages.',
    body: 'The alert wording table is the part worth copying.',
    tags: ['crisis-communication', 'alerts'],
    initiativeTypes: ['service-delivery', 'engagement-and-communication'],
    sharer: 'mei_chen',
    agency: 'Example Transport Services',
    externalUrl: 'https://transport.services.example/disruption-playbook',
    at: '5d 08:50',
  },
  {
    key: 'analytics-dashboard',
    kind: 'template',
    title: 'Monthly social media report: a spreadsheet template',
    summary: 'A monthly report with six numbers that matter to an executive, the formulas to fill it from the platforms’ exports, and a short narrative box for what changed.',
    body: 'Columns are deliberately few. Add a column only if someone has asked for a decision that needs it.',
    tags: ['reporting', 'analytics'],
    initiativeTypes: ['data-and-reporting'],
    sharer: 'tom_nguyen',
    files: [{ kind: 'csv', name: 'monthly-report-template.csv', rows: [['month', 'followers', 'posts', 'replies within a day (%)', 'enquiries resolved in comments', 'complaints', 'what changed'], ['January', '', '', '', '', '', ''], ['February', '', '', '', '', '', '']] }],
    helpful: ['mei_chen', 'sam_oconnor'],
    at: '15d 11:45',
  },
  {
    key: 'induction-checklist',
    kind: 'other',
    title: 'Induction checklist for new digital engagement staff',
    summary: 'Twenty things a new starter in a digital engagement team should have, know or have met by the end of their first month.',
    body: '- Access to every account, through the agency’s password manager\n- Read the comment policy and the records guide\n- Met the records manager and the accessibility adviser\n- Shadowed a moderation shift\n- Know who approves a post on a sensitive topic, and who covers them',
    tags: ['induction', 'staff'],
    initiativeTypes: ['staff-capability'],
    sharer: 'leah_fitzgerald',
    at: '3d 14:30',
  },
];
