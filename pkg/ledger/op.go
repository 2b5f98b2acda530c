package ledger

import (
	"crypto/rand"
	"strings"
)

// OpKey is the key of the one operation on DR id at a time. Every operation that changes a DR
// (a pause today, a resume later) claims the same key, so a pause and a resume of one DR
// never run at once, whoever asks and on whichever instance.
func OpKey(id string) string { return "op#" + id }

// Op is who holds an OpKey, written into the record as its holder: the operation, who asked
// for it, and a token unique to this claim, so that only the claim's own holder releases it
// (a job on another instance included) and a message can say who holds the DR.
type Op struct {
	Name  string // the operation: "pause", later "resume"
	By    string // a Slack user id, "alert:<source>" or "invoke"
	Token string // unique to one claim
}

// NewOp returns an Op with a fresh random token.
func NewOp(name, by string) Op {
	return Op{Name: name, By: by, Token: rand.Text()}
}

// String is the record's holder: "pause|U0123|TOKEN".
func (o Op) String() string { return o.Name + "|" + o.By + "|" + o.Token }

// ParseOp reads a holder written by Op.String. A holder of another shape is read as By, so a
// message can still name it.
func ParseOp(holder string) Op {
	name, rest, ok := strings.Cut(holder, "|")
	if !ok {
		return Op{By: holder}
	}
	i := strings.LastIndexByte(rest, '|')
	if i < 0 {
		return Op{Name: name, By: rest}
	}
	return Op{Name: name, By: rest[:i], Token: rest[i+1:]}
}
