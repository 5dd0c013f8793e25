/**
 * The demo forum's conversations, written for Commons (nothing copied from anywhere): the topics
 * a cross-agency community of people who run government social media accounts comes back to.
 * Authors are the demo members' handles. `at` is when a post was written: days before the seed
 * runs, and the wall-clock time in the site's time zone ('19d 09:40'). `replyTo` names the post
 * a reply answers by its place in the thread (1 is the first post). `helpful` lists who found a
 * post helpful; `answer` marks the reply the thread's author accepted.
 */

export interface DemoPost {
  author: string;
  at: string;
  body: string;
  helpful?: string[];
}

export interface DemoReply extends DemoPost {
  replyTo?: number;
  answer?: true;
}

export interface DemoThread extends DemoPost {
  /** Stable: the thread's and its replies' form tokens are made from it. */
  key: string;
  category: string;
  title: string;
  replies: DemoReply[];
}

export const DEMO_THREADS: readonly DemoThread[] = [
  {
    key: 'welcome',
    category: 'announcements',
    author: 'tom_nguyen',
    at: '34d 09:05',
    title: 'Welcome to Commons: how this place works',
    body: `Welcome, everyone. Commons is a closed forum for people who do online engagement work across Commonwealth, state and local government. Everyone here joined with a work address, so you are among peers.

A few things to get you started:

- **Say hello** in [Introductions](/c/introductions): your role, your agency and what you are working on.
- **Ask** in [Questions and answers](/c/questions). When a reply solves your problem, mark it as the answer so the next person finds it quickly.
- **Share what worked** (and what didn't) in the practice and policy categories. Rough notes are fine.

Please read the [community guidelines](/guidelines) if you haven't yet. The short version: be courteous, keep it professional, and remember that *closed* does not mean *classified*. Nothing above OFFICIAL belongs here, and nothing you wouldn't be comfortable seeing quoted back to you.

If something needs a moderator's attention, mention me (@tom_nguyen) in a reply and I'll take a look.`,
    helpful: ['priya_raman', 'mei_chen', 'sam_oconnor'],
    replies: [
      {
        author: 'priya_raman',
        at: '34d 09:40',
        body: 'Thanks Tom. For anyone wondering why this exists: most of us kept asking the same questions in separate email chains. A place where the answers stay findable should save us all some time.',
        helpful: ['sam_oconnor'],
      },
      {
        author: 'mei_chen',
        at: '34d 11:20',
        body: 'Great to have this. Is it OK to post screenshots of public comments on our pages when asking for advice?',
      },
      {
        author: 'tom_nguyen',
        at: '34d 12:05',
        replyTo: 3,
        body: `Good question. Public comments are public, but the person who wrote them didn't ask to be discussed here. Please **crop out names and profile pictures** unless the account is an organisation. Describing the comment in your own words is often enough.`,
        helpful: ['mei_chen', 'priya_raman'],
      },
      {
        author: 'sam_oconnor',
        at: '33d 08:50',
        body: 'Looking forward to it. I have a backlog of "how did your agency handle X" questions ready to go.',
      },
    ],
  },
  {
    key: 'intro-mei',
    category: 'introductions',
    author: 'mei_chen',
    at: '33d 14:10',
    title: "Hello from Example Shire Council's engagement team",
    body: `Hi all, I'm Mei. I look after community engagement at Example Shire Council: consultations, our community panel, and the council's Facebook and Instagram accounts.

We are a team of three, so social media is one job among many. Things I'd love to learn from others:

1. How you moderate comments on a small team without it eating the whole day
2. How you keep records of what we post (our records team has started asking)
3. Whether anyone has found a good way to get younger residents into consultations

Happy to share what we've learned from running online consultations on a shoestring.`,
    replies: [
      {
        author: 'tom_nguyen',
        at: '33d 15:02',
        body: `Welcome Mei! Your first question comes up in every agency, large or small. I'm about to start a thread on house rules for public comments, so keep an eye on [Social media practice](/c/social-media-practice).`,
      },
      {
        author: 'sam_oconnor',
        at: '33d 16:30',
        body: `Hi Mei. On question 3, we had some luck with short polls in Instagram stories linking to a two-minute survey. Response rates were modest, but the age profile was very different from our usual submissions.`,
        helpful: ['mei_chen'],
      },
      {
        author: 'mei_chen',
        at: '33d 17:05',
        replyTo: 3,
        body: 'That is really useful, thanks Sam. Did you offer any incentive, or was the two minutes the selling point?',
      },
      {
        author: 'sam_oconnor',
        at: '32d 08:45',
        replyTo: 4,
        body: 'No incentive. We said up front how long it would take and what we would do with the answers, and reported back on the same channel afterwards. The report-back post got more engagement than the survey did.',
        helpful: ['mei_chen', 'priya_raman'],
      },
      {
        author: 'priya_raman',
        at: '32d 09:15',
        body: 'Welcome Mei. Councils are closest to the community of any of us, so I suspect we federal folk will learn more from you than the other way round.',
      },
    ],
  },
  {
    key: 'house-rules',
    category: 'social-media-practice',
    author: 'tom_nguyen',
    at: '31d 10:20',
    title: 'House rules for public comments: what is in yours?',
    body: `We're refreshing the comment moderation rules for our health campaign accounts and I'd like to compare notes. Ours currently say we may hide or remove comments that:

- are abusive, threatening or discriminatory
- include personal information (their own or anyone else's)
- are spam, advertising or off-topic
- contain health claims that could cause harm if someone acted on them

We publish the rules on our website and link to them from every account's profile. We also say **when** the accounts are moderated (business hours, weekdays) so nobody expects an instant reply at 11 pm.

What's in yours, and what have you had to add after something went wrong?`,
    helpful: ['mei_chen', 'sam_oconnor'],
    replies: [
      {
        author: 'mei_chen',
        at: '31d 11:05',
        body: `Ours are very similar. The one we added after a bad week: **we don't remove comments just because they criticise council.** People were convinced we were deleting complaints, and saying it plainly in the rules calmed things down more than any reply did.`,
        helpful: ['tom_nguyen', 'priya_raman', 'sam_oconnor'],
      },
      {
        author: 'priya_raman',
        at: '31d 13:40',
        body: `One addition we made: a line on **blocking**. We only block accounts that are clearly spam or that repeatedly break the rules after a warning, and the decision is made by a team leader, not the person on moderation that day. Blocking someone from a government page is a bigger deal than blocking them from a brand's page, so we want a second pair of eyes on it.`,
        helpful: ['tom_nguyen'],
      },
      {
        author: 'sam_oconnor',
        at: '31d 15:10',
        replyTo: 1,
        body: `> We also say **when** the accounts are moderated

This is underrated. We added our moderation hours after someone posted a genuine distress message on a Friday evening, and it sat there until Monday. Now the rules also point people to the right crisis lines, and the after-hours auto-reply does too.`,
        helpful: ['tom_nguyen', 'mei_chen'],
      },
      {
        author: 'tom_nguyen',
        at: '31d 15:45',
        replyTo: 4,
        body: "Yes, we include Lifeline and 000 in ours for the same reason. Thanks Sam, I'll make sure it's in the auto-reply too, not just the rules page.",
      },
      {
        author: 'mei_chen',
        at: '30d 09:30',
        replyTo: 3,
        body: 'Priya, do you tell the person they have been blocked, or does it just happen?',
      },
      {
        author: 'priya_raman',
        at: '30d 10:10',
        replyTo: 6,
        body: 'We send a short private message with the rule they broke and the warning date, where the platform lets us. It rarely changes anything, but it means we can show we followed our own process if someone complains to the Ombudsman.',
        helpful: ['mei_chen'],
      },
      {
        author: 'daniel_okafor',
        at: '26d 17:00',
        body: `Late to this, but from the records side: whatever you hide or remove, **capture it first** (with the date, the post it was on and the rule it broke). A removed comment is still part of the record of what happened on the account. There's a longer discussion in [Questions and answers](/c/questions).`,
        helpful: ['tom_nguyen', 'mei_chen'],
      },
    ],
  },
  {
    key: 'code-of-conduct',
    category: 'policy-and-governance',
    author: 'sam_oconnor',
    at: '29d 12:30',
    title: 'Personal accounts, political comment and the Code of Conduct',
    body: `A question that came up in our team meeting and nobody could answer with confidence: where exactly is the line for **personal** social media use?

Some examples people raised:

- liking or sharing a post by a politician
- commenting on a policy your own agency administers, on your personal account
- listing your agency in your LinkedIn profile while posting opinions on current affairs

Everyone knows the APS Code of Conduct applies at work. How are other agencies explaining it for life outside work?`,
    replies: [
      {
        author: 'priya_raman',
        at: '29d 13:15',
        body: `The Australian Public Service Commission has guidance on exactly this; search for the social media guidance on [apsc.gov.au](https://www.apsc.gov.au). The way we explain it to staff:

- The Code can apply to what you do in a personal capacity, when it's connected to your work or could damage the reputation of the APS.
- The closer a comment is to **your own work**, the more care it needs. Criticising a program you administer is very different from talking about a policy in another portfolio.
- A like or a share can be read as an endorsement. "Retweets are not endorsements" in your bio doesn't change how others read it.
- Being identifiable as a public servant raises the stakes, but not being identifiable is no guarantee: people get recognised.

And when in doubt, ask your manager or your agency's ethics contact *before* posting.`,
        helpful: ['sam_oconnor', 'tom_nguyen', 'mei_chen', 'daniel_okafor'],
      },
      {
        author: 'tom_nguyen',
        at: '29d 14:02',
        body: 'Worth saying for the state and local people here: our code of conduct is set by our own state legislation, not the APS one. The principles are close, but the detail (and who you ask for advice) differs, so check your own before quoting the APS guidance to your staff.',
        helpful: ['mei_chen', 'priya_raman'],
      },
      {
        author: 'sam_oconnor',
        at: '29d 15:20',
        replyTo: 2,
        body: `> A like or a share can be read as an endorsement.

This is the one our team found most surprising. Several people assumed a like was private, or at least neutral. Thanks Priya, this is a clear way to put it.`,
      },
      {
        author: 'mei_chen',
        at: '29d 16:45',
        body: 'For council staff there is a local twist: the people you comment about may be your councillors, and everyone knows everyone. We tell new starters to assume anything they post locally will be read by someone at work.',
        helpful: ['sam_oconnor'],
      },
      {
        author: 'daniel_okafor',
        at: '26d 09:20',
        replyTo: 2,
        body: "One more for the list: don't use a personal account to do official business, even for convenience (answering a stakeholder's question by DM, say). It blurs the line and it takes the conversation out of the agency's records.",
        helpful: ['priya_raman', 'tom_nguyen'],
      },
      {
        author: 'priya_raman',
        at: '26d 10:05',
        replyTo: 6,
        body: 'Good point @daniel_okafor. It is also a privacy problem: personal information that arrives in your personal inbox is now outside every system that is supposed to protect it.',
      },
    ],
  },
  {
    key: 'intro-daniel',
    category: 'introductions',
    author: 'daniel_okafor',
    at: '27d 09:30',
    title: 'Records manager, new to the social media side',
    body: `Hello everyone. I'm Daniel, Information and Records Manager at the Department of Example Services. I've spent most of my career on files, systems and disposal authorities, and more recently on the question of how social media fits into all of that.

I'm here to learn how you actually run your accounts, so that the advice I give is practical rather than theoretical. If you have a records question about social media, ask away: I'd rather hear it now than during an FOI request.`,
    replies: [
      {
        author: 'priya_raman',
        at: '27d 10:10',
        body: 'Welcome Daniel, and thank you for being the records person who *asks* how the work is done. Expect a lot of questions.',
      },
      {
        author: 'tom_nguyen',
        at: '27d 10:35',
        body: `Welcome! Tagging @mei_chen, who asked about exactly this in her introduction.`,
      },
      {
        author: 'mei_chen',
        at: '27d 13:00',
        body: "Hi Daniel! I'll take you up on that. My question is about comments we hide, and I'll post it in Questions and answers so others can find it.",
      },
    ],
  },
  {
    key: 'hidden-comments',
    category: 'questions',
    author: 'mei_chen',
    at: '26d 13:45',
    title: 'How long do we keep public comments we have hidden?',
    body: `When we hide a comment on the council's Facebook page, do we need to keep a copy, and for how long?

At the moment we just hide it and move on. Our records team says hidden comments are "probably records", but nobody can tell me which disposal class applies or how to capture them. Any advice welcome, especially from other councils.`,
    replies: [
      {
        author: 'tom_nguyen',
        at: '26d 14:20',
        body: "We screenshot anything we hide and save it to a shared folder, but I suspect that doesn't satisfy anyone's idea of a records system. Keen to hear the proper answer.",
      },
      {
        author: 'daniel_okafor',
        at: '26d 15:30',
        answer: true,
        body: `Short answer: **yes, keep it**. A comment you hid is evidence of what happened on an account you run, and of a decision your organisation made about it.

Longer answer, in three parts:

1. **Which rules apply.** As a council you're covered by your state's public records legislation, not the Commonwealth's, so the retention period comes from your state's general disposal authority for local government. Look for the class covering community relations or public enquiries and complaints. Your records team can confirm the exact class, and once they have, write it into your moderation procedure.
2. **What to capture.** The comment's text, who posted it, when, the post it was on, when you hid it, who hid it and the house rule it broke. A screenshot alone usually misses half of that, so add a short log entry alongside it.
3. **Where to keep it.** In your records system, not a shared drive and not the platform. The platform is not a recordkeeping system: if the commenter deletes their comment, your hidden copy goes with it.

For Commonwealth agencies the principles are the same, and the National Archives has general guidance on social media records at [naa.gov.au](https://www.naa.gov.au).`,
        helpful: ['mei_chen', 'tom_nguyen', 'priya_raman', 'sam_oconnor', 'leah_fitzgerald'],
      },
      {
        author: 'mei_chen',
        at: '26d 16:10',
        replyTo: 3,
        body: `This is exactly what I needed, thank you. The point about the commenter deleting their comment had never occurred to me. I'll take the three parts to our records team this week.`,
      },
      {
        author: 'sam_oconnor',
        at: '25d 09:05',
        replyTo: 3,
        body: 'Would the same apply to direct messages? We get a lot of service enquiries by DM and they mostly stay in the platform inbox.',
      },
      {
        author: 'daniel_okafor',
        at: '25d 10:40',
        replyTo: 5,
        body: "Yes, and arguably more so: a DM asking about someone's own case is a service record, often with personal information in it. The usual approach is to move the conversation to a proper channel quickly and capture the exchange so far. I'll start a thread in [Policy and governance](/c/policy-and-governance) on the wider question of what counts as the record.",
        helpful: ['sam_oconnor'],
      },
    ],
  },
  {
    key: 'what-is-the-record',
    category: 'policy-and-governance',
    author: 'daniel_okafor',
    at: '24d 11:00',
    title: 'Keeping records of social media: what counts as the record?',
    body: `Following on from a few questions here, I'd like to collect how agencies decide what to keep from their social media accounts. In my experience the hard part is not the rules but deciding **what the record actually is**. Some candidates:

- the post as published, with its date and the account it was on
- the approval trail behind it (draft, who cleared it, when)
- public comments and replies, including the ones you hid
- direct messages
- the analytics, if they informed a decision

How do you capture each of these today: platform exports, a capture or archiving service, screenshots, or not at all? No judgement; I'd like a realistic picture.`,
    helpful: ['priya_raman', 'mei_chen'],
    replies: [
      {
        author: 'priya_raman',
        at: '24d 11:45',
        body: `Honest picture from us:

- **Posts:** a capture service takes a copy of every post and its comments daily, and that goes into our records system.
- **Approvals:** in email, which is in the records system, though finding the trail for a given post is painful.
- **DMs:** exported weekly, with mixed success.
- **Analytics:** monthly report only.

The weak point is linking an approval to the post it approved. We've started putting the post's link in the approval email's subject line, which helps more than it should.`,
        helpful: ['daniel_okafor', 'mei_chen'],
      },
      {
        author: 'mei_chen',
        at: '24d 14:20',
        body: 'Ours is mostly "screenshots and hope", I\'m afraid. After the comments thread we have a proposal going to our records team for a monthly export plus a log of moderation decisions.',
      },
      {
        author: 'tom_nguyen',
        at: '24d 15:05',
        replyTo: 2,
        body: '> putting the post\'s link in the approval email\'s subject line\n\nStealing this. It costs nothing and turns a two-hour search into a two-minute one.',
        helpful: ['priya_raman'],
      },
      {
        author: 'daniel_okafor',
        at: '23d 10:15',
        body: `Thanks, all. Pulling the answers together, a reasonable baseline for a small team seems to be:

1. a **regular export** of posts and comments (monthly at least, weekly for busy accounts) into the records system
2. a **moderation log** for anything hidden, removed or blocked, with the reason
3. the **approval** kept with, or linked to, the post it approved
4. DMs moved off-platform as soon as they turn into a service conversation

The [National Archives](https://www.naa.gov.au) covers the Commonwealth side; state and local colleagues should check with their state records office. I'll keep this thread updated if we learn more.`,
        helpful: ['priya_raman', 'mei_chen', 'tom_nguyen', 'sam_oconnor'],
      },
    ],
  },
  {
    key: 'intro-leah',
    category: 'introductions',
    author: 'leah_fitzgerald',
    at: '21d 10:00',
    title: 'Accessibility adviser at Example State Health',
    body: `Hi everyone, Leah here. I'm the digital accessibility adviser at Example State Health, which mostly means helping teams get captions, transcripts, alt text and plain language right before something is published rather than after someone complains.

I'm especially interested in **video**: so much of what agencies post is now short video, and most of it isn't accessible to people who are Deaf, hard of hearing, blind or have low vision. I'd love to hear what's working for you.`,
    replies: [
      {
        author: 'tom_nguyen',
        at: '21d 10:20',
        body: 'Welcome Leah! (Disclosure: Leah and I work in the same building, and she has improved our campaign videos a great deal.)',
      },
      {
        author: 'sam_oconnor',
        at: '21d 11:45',
        body: "Welcome. I'll confess our team's approach to captions is \"the platform does them automatically\". I suspect you're about to tell me that's not enough.",
      },
      {
        author: 'leah_fitzgerald',
        at: '21d 12:30',
        replyTo: 3,
        body: "Ha! It's a start, but automatic captions need a human to check them, especially for names, medical terms and anything with numbers. I'll start a thread in Tools and platforms with what we do.",
        helpful: ['sam_oconnor'],
      },
    ],
  },
  {
    key: 'captions',
    category: 'tools-and-platforms',
    author: 'leah_fitzgerald',
    at: '19d 11:30',
    title: 'Captions and transcripts for short videos: what are you using?',
    body: `As promised in my introduction, here's how we handle captions and transcripts, and I'd like to hear how others do it.

**Our baseline for every video:**

1. Captions for all speech and meaningful sounds (WCAG 2.2 success criterion 1.2.2, level A)
2. A transcript on the web page the video lives on
3. Audio description, or narration that describes what's on screen, when the visuals carry information the audio doesn't (1.2.5, level AA)

**Our process:** we upload the video to get automatic captions, then someone who didn't make the video checks them against the audio. We export the corrected file (SRT) and upload it to each platform, rather than relying on each platform's own automatic captions.

For social media, we also **burn in** captions on short clips, because most people scroll with the sound off. We still upload the closed caption file where the platform supports it, so screen reader and braille users get the text too.

The W3C's [WCAG 2.2 quick reference](https://www.w3.org/WAI/WCAG22/quickref/) is the place to check the exact requirements.`,
    helpful: ['tom_nguyen', 'sam_oconnor', 'mei_chen', 'priya_raman'],
    replies: [
      {
        author: 'mei_chen',
        at: '19d 13:10',
        body: 'This is so helpful. Question: how long does checking captions add for a typical 60-second clip? I need to be able to justify the time to my manager.',
      },
      {
        author: 'leah_fitzgerald',
        at: '19d 13:55',
        replyTo: 2,
        body: 'For a minute of clear speech, about 10 to 15 minutes including the export. Interviews with several speakers or background noise take longer. It gets faster with practice, and it is much quicker than fixing a video after it has gone out with "Medicare" captioned as "medical".',
        helpful: ['mei_chen', 'tom_nguyen'],
      },
      {
        author: 'tom_nguyen',
        at: '19d 15:20',
        body: 'We also write the transcript *before* filming now, as a script. Captions then become a matter of timing rather than transcription, and it forces us to write in plain language.',
        helpful: ['leah_fitzgerald', 'sam_oconnor'],
      },
      {
        author: 'sam_oconnor',
        at: '18d 09:40',
        replyTo: 1,
        body: `Burned-in *and* a closed caption file hadn't occurred to me. I'd assumed it was one or the other. We'll change our process.

One follow-up: does anyone put the transcript in the post itself? Character limits make that hard on most platforms.`,
      },
      {
        author: 'leah_fitzgerald',
        at: '18d 10:30',
        replyTo: 5,
        body: 'We link to the web page with the transcript in the first line of the post. For very short clips (under 30 seconds or so) the caption text fits in the post, and we use it.',
      },
      {
        author: 'priya_raman',
        at: '18d 14:15',
        body: "Adding this to our publishing checklist. @leah_fitzgerald, would you be willing to present this at a lunchtime session for our team? I'm happy to organise it.",
      },
      {
        author: 'leah_fitzgerald',
        at: '18d 15:00',
        replyTo: 7,
        body: "I'd be glad to. I'll send you a message with some dates.",
      },
    ],
  },
  {
    key: 'business-case',
    category: 'questions',
    author: 'sam_oconnor',
    at: '17d 15:20',
    title: 'What goes into a business case for a new agency account?',
    body: 'A program area has asked for its own Instagram account. Before I say yes or no, I want to put it through a proper proposal. Does anyone have a template, or a list of what yours asks for?',
    replies: [
      {
        author: 'priya_raman',
        at: '17d 16:05',
        body: `Ours asks for the following, and most proposals change shape by the time they've answered them all:

- **Purpose and audience:** who are you trying to reach, and why can't an existing account reach them?
- **Resourcing:** who will post and moderate, how many hours a week, and who covers leave
- **Content plan:** at least three months of post ideas
- **Risk:** what could go wrong, and what you'll do when it does
- **Records and accessibility:** how you'll capture the account's records and make content accessible
- **Measures:** what success looks like, beyond follower numbers
- **Exit plan:** when and how you'd close the account

The resourcing and exit plan questions stop most proposals that shouldn't go ahead. Usually the better answer is more posts on the main account.`,
        helpful: ['sam_oconnor', 'mei_chen', 'tom_nguyen'],
      },
      {
        author: 'tom_nguyen',
        at: '17d 16:40',
        replyTo: 2,
        body: "+1 to the exit plan. We have two dormant accounts we can't close because nobody remembers who holds the passwords. That's a risk in its own right.",
      },
      {
        author: 'sam_oconnor',
        at: '16d 09:30',
        replyTo: 2,
        body: 'Thanks Priya, this is a great list. I suspect our program area will settle for a regular slot on the main account once they see the resourcing question.',
      },
    ],
  },
  {
    key: 'caretaker',
    category: 'policy-and-governance',
    author: 'priya_raman',
    at: '15d 09:10',
    title: 'Caretaker period: what did you do with your accounts?',
    body: `With an election on the horizon for some jurisdictions, I'd like to compare notes on how agencies ran their social media through the last caretaker period.

We followed the Commonwealth caretaker conventions (the guidance is on [pmc.gov.au](https://www.pmc.gov.au)) and, in practice:

- paused campaign advertising and anything that promoted new policy
- kept posting **essential information**: service changes, safety messages, outages
- stopped sharing or replying to ministers' posts
- had every post cleared by a senior officer who knew the conventions well

What did others do differently, and what caught you out?`,
    replies: [
      {
        author: 'tom_nguyen',
        at: '15d 10:30',
        body: "State conventions are similar in spirit. What caught us out was **scheduled posts**: a campaign post queued weeks earlier went out on the first day of caretaker. Now the first task when caretaker begins is to review the scheduling queue.",
        helpful: ['priya_raman', 'mei_chen', 'sam_oconnor'],
      },
      {
        author: 'mei_chen',
        at: '15d 11:50',
        body: 'Councils have their own version before local government elections. The tricky part for us is councillors who are also candidates: we stop tagging or quoting any councillor on council accounts for the whole period, even in routine posts like event openings.',
      },
      {
        author: 'sam_oconnor',
        at: '15d 14:25',
        replyTo: 2,
        body: "The scheduling queue is such a good catch. Was there any fallout from the post that went out?",
      },
      {
        author: 'tom_nguyen',
        at: '15d 15:10',
        replyTo: 4,
        body: 'We removed it within the hour and recorded what happened. A journalist asked about it and we answered plainly. Owning it quickly made it a non-story.',
        helpful: ['sam_oconnor', 'priya_raman'],
      },
    ],
  },
  {
    key: 'pile-on',
    category: 'social-media-practice',
    author: 'tom_nguyen',
    at: '12d 16:40',
    title: 'Handling a pile-on during a public health alert',
    body: `Last week we posted an alert about a disease outbreak in one region, and within two hours it had several hundred comments: genuine questions, a lot of fear, some anger and a fair amount of misinformation. Some things that helped, written up while they're fresh:

1. **A holding line, ready before we posted.** "We're aware of questions about X. Updates will be posted here, and the hotline is open until 8 pm."
2. **One correction, not fifty.** We updated the original post with an answer to the most common false claim and a link to the source, instead of arguing in the replies.
3. **A shared answer sheet** with the hotline team, so both channels said the same thing.
4. **Moderators on rotation** every 90 minutes. Reading a few hundred frightened or hostile comments is draining.

What have others learned from their own surges?`,
    helpful: ['priya_raman', 'mei_chen', 'leah_fitzgerald', 'sam_oconnor'],
    replies: [
      {
        author: 'priya_raman',
        at: '12d 17:15',
        replyTo: 1,
        body: '> Moderators on rotation every 90 minutes.\n\nThis is the one I wish we had done earlier. We now offer a debrief, and the employee assistance program details, to anyone who moderated during a surge.',
        helpful: ['tom_nguyen', 'leah_fitzgerald'],
      },
      {
        author: 'mei_chen',
        at: '12d 18:00',
        body: "Our version was a bushfire road closure rather than a health alert. The thing we'd add: **pin one comment** with the latest update and its time, so people scrolling the comments see it before the speculation.",
        helpful: ['tom_nguyen'],
      },
      {
        author: 'leah_fitzgerald',
        at: '11d 09:15',
        body: 'From the accessibility side: in an emergency, put the key information in text too, not only in an image or a video. An infographic without alt text tells a screen reader user nothing, and that matters most when the message is urgent.',
        helpful: ['tom_nguyen', 'mei_chen', 'priya_raman'],
      },
      {
        author: 'sam_oconnor',
        at: '11d 10:40',
        body: 'Did you consider limiting who could comment on the post? Some platforms let you do that now.',
      },
      {
        author: 'tom_nguyen',
        at: '11d 11:20',
        replyTo: 5,
        body: "We talked about it. Turning comments off removes the questions as well as the noise, and the questions told us what to put in the next update. We'd only limit comments if the thread became unsafe, and we would say publicly why.",
        helpful: ['sam_oconnor', 'priya_raman'],
      },
    ],
  },
  {
    key: 'measuring',
    category: 'social-media-practice',
    author: 'sam_oconnor',
    at: '9d 10:15',
    title: 'Measuring anything beyond likes?',
    body: `Our quarterly report is still mostly followers, reach and likes, and our executive has started asking (fairly) what any of it achieves. What do you measure that connects social media to an actual outcome?

Ideas so far:

- clicks through to the service page the post was about (using tagged links)
- calls to the contact centre on the topic, before and after a campaign
- questions in the comments as a signal of what the website doesn't explain`,
    replies: [
      {
        author: 'priya_raman',
        at: '9d 11:30',
        body: "Tagged links have been the biggest win for us. Once we could show that a series of posts sent 4,000 people to a form they'd otherwise have phoned about, the conversation with our executive changed.",
        helpful: ['sam_oconnor', 'mei_chen'],
      },
      {
        author: 'mei_chen',
        at: '9d 13:05',
        replyTo: 1,
        body: "The third one is underrated. We keep a simple tally of questions asked in comments each month, and it's now a standing input to our website team's backlog.",
        helpful: ['sam_oconnor', 'priya_raman'],
      },
      {
        author: 'tom_nguyen',
        at: '8d 09:50',
        body: '| Measure | What it tells us |\n| --- | --- |\n| Link clicks | whether a post moved people to act |\n| Hotline calls on the topic | whether the message landed or confused |\n| Comment themes | what to explain better next time |\n| Reach | only how many people *could* have seen it |\n\nWe report reach last, deliberately.',
        helpful: ['sam_oconnor', 'priya_raman', 'leah_fitzgerald'],
      },
      {
        author: 'sam_oconnor',
        at: '8d 11:15',
        replyTo: 4,
        body: 'Putting reach last is a small change with a big message. Thanks all, this gives me a much better report to take upstairs.',
      },
    ],
  },
  {
    key: 'audio-description',
    category: 'tools-and-platforms',
    author: 'leah_fitzgerald',
    at: '8d 14:00',
    title: 'Audio description on campaign videos: has anyone commissioned it?',
    body: `Captions are becoming routine, but **audio description** still seems rare. It's the narration that tells blind and low-vision viewers what is happening on screen when the soundtrack doesn't say.

There are two ways to get there:

- **Describe it in the script:** write the voice-over so it says what's shown ("Sarah checks the medicine label"). No extra production, and it works on every platform.
- **A described version:** a separate cut with added narration, made by a specialist provider. It's needed when the visuals can't be covered in the existing audio.

Has anyone commissioned a described version for a campaign? What did it cost, and where did you publish it?`,
    replies: [
      {
        author: 'tom_nguyen',
        at: '8d 15:30',
        body: 'We did for our last major campaign: a described version of the 30-second ad, published on our website and video channel alongside the standard one. The cost was small compared with the production budget. The hard part was remembering to brief it at the start rather than after the edit was locked.',
        helpful: ['leah_fitzgerald', 'priya_raman'],
      },
      {
        author: 'priya_raman',
        at: '7d 09:20',
        body: "We've only ever done the script approach. @leah_fitzgerald, is there a rule of thumb for when it's *not* enough?",
      },
      {
        author: 'leah_fitzgerald',
        at: '7d 10:05',
        replyTo: 3,
        body: `A quick test: play the video with your eyes closed. If you can follow everything that matters (who is speaking, what the on-screen text says, what changes), the script approach has covered it. If there's on-screen text that's never read out, or a key moment that's only visual, you need description.

Music-only videos with text overlays are the usual culprits.`,
        helpful: ['priya_raman', 'tom_nguyen', 'sam_oconnor', 'mei_chen'],
      },
    ],
  },
  {
    key: 'alt-text',
    category: 'questions',
    author: 'mei_chen',
    at: '5d 09:50',
    title: 'Alt text on shared graphics: who should write it?',
    body: 'We get graphics from our designer and from other agencies to share. Who should be writing the alt text: the designer, the person who posts it, or the agency that made the graphic? At the moment it falls through the cracks.',
    replies: [
      {
        author: 'leah_fitzgerald',
        at: '5d 10:30',
        body: `Whoever knows **why the image is in the post** should write it, and that's usually the person writing the post, not the designer. A few tips:

- Describe what the image is there to communicate, not every detail in it.
- Include all the text in the image. If there's a lot, put it in the post itself.
- Skip "image of": screen readers already announce it as an image.
- For graphics from another agency, ask them for their alt text. If they don't have it, write your own rather than posting without it.

Most platforms have an alt text field when you upload an image, though it's sometimes hidden under "advanced" or "edit".`,
        helpful: ['mei_chen', 'sam_oconnor', 'tom_nguyen', 'priya_raman'],
      },
      {
        author: 'mei_chen',
        at: '5d 11:15',
        replyTo: 2,
        body: 'That makes sense, thank you. Asking the other agency for their alt text is so obvious in hindsight.',
      },
      {
        author: 'sam_oconnor',
        at: '4d 14:20',
        body: "We've started asking for alt text in the brief we send the designer. The designer still doesn't write the final version, but they add a line about what the image is meant to convey, and that makes the poster's job easier.",
        helpful: ['leah_fitzgerald'],
      },
      {
        author: 'tom_nguyen',
        at: '4d 16:05',
        body: 'Tip for anyone sharing across agencies: when we send a graphic to other agencies to share, we now send the alt text in the same email. It is surprising how often it gets used when it arrives with the image.',
        helpful: ['mei_chen', 'leah_fitzgerald'],
      },
    ],
  },
  {
    key: 'scheduling',
    category: 'tools-and-platforms',
    author: 'mei_chen',
    at: '3d 10:30',
    title: 'Scheduling tool with an approval step?',
    body: `We schedule posts in each platform's own tools, and approvals happen by email. It works, just about, but things get missed. Is anyone using a scheduling tool with a built-in approval step that passed their agency's security assessment?

We're a small team, so cost matters, and I'd rather not spend months on procurement for something a shared calendar could do.`,
    replies: [
      {
        author: 'priya_raman',
        at: '3d 11:20',
        body: `We use a commercial scheduling tool with an approval workflow. Things we had to sort out before using it:

- where the data is stored, and what the security assessment required
- whether it keeps the approval history (it does, and we export it into our records system each month, which @daniel_okafor will be glad to hear)
- who holds the admin account, and what happens when they leave

For a small team, a shared calendar plus a clear rule ("nothing goes in the queue without an approval link") may really be enough.`,
        helpful: ['mei_chen', 'daniel_okafor'],
      },
      {
        author: 'daniel_okafor',
        at: '3d 13:45',
        replyTo: 2,
        body: 'I am indeed glad to hear it. Mei, whatever you choose, check whether you can get the approval history *out* of it. A tool that locks it in is a records problem later.',
        helpful: ['mei_chen', 'priya_raman'],
      },
      {
        author: 'tom_nguyen',
        at: '2d 09:30',
        body: 'If you do go to market, check the whole-of-government marketplaces first ([buyict.gov.au](https://www.buyict.gov.au) for the Commonwealth; your state will have its own arrangements). It can save a lot of the procurement effort.',
        helpful: ['mei_chen'],
      },
      {
        author: 'mei_chen',
        at: '1d 15:40',
        body: "Thanks, all. For now we'll try the shared calendar with Priya's rule for a quarter and see what breaks. I'll report back here.",
        helpful: ['priya_raman'],
      },
    ],
  },
];
