// Package ledger is the shared record behind drpause's promises that must hold across
// instances: a card acts at most once, one operation per DR at a time, an alert is handled once,
// a storm cannot pause more than a few pairs, and a Lambda job runs once. Memory keeps it in one
// process; DynamoDB keeps it in one table with conditional writes, so every instance sees the
// same answers.
//
// Both implementations give the same answers to the same calls (one contract test suite runs
// against both). Keys expire: a record is live until its Until, in whole seconds and never
// earlier than asked; an expired record is as good as absent, whether or not DynamoDB's TTL has
// deleted it yet.
//
// What the operations are for:
//
//   - one operation per DR: Claim(OpKey(id), op.String(), now+DR_WAIT+margin), op naming the
//     operation and who asked (Op), then Release when the operation has been followed to its
//     end; a pause and a resume of one DR share the key;
//   - a single-use card: Claim the card's key when a click starts acting and Mark it done when
//     the action has been sent; Cancel is Mark(void), refused while someone else holds the card.
//     A card holding several DRs claims "<card>#<dr id>" per DR, and a click reads the card's
//     own key with Get after its claim: a Cancel marked before that read is seen, and one
//     marked after it came after the click;
//   - alert dedup and Lambda job ids: Claim the fingerprint or job id; a second delivery is refused;
//   - the storm budget: Reserve; past it, Claim("budget-notice#<budget>", ..., now+window) picks
//     the one request per window that tells the channel.
//
// Every error of DynamoDB other than a refused condition is an *UnavailableError
// (errors.Is(err, ErrUnavailable)): callers then do nothing and say the ledger is unreachable.
package ledger
