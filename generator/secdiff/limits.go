package secdiff

import (
	"fmt"
	"time"

	"github.com/securegen/securegen/generator/model"
	"github.com/securegen/securegen/runtime/auth"
)

// Limit is an operation's rate limit (x-securegen-rate-limit), as far as
// diff compares it.
type Limit struct {
	Requests int           `json:"requests"`
	Period   time.Duration `json:"period"`
	Burst    int           `json:"burst"`
	By       string        `json:"by"`
}

// interval is the steady time between requests the limit allows.
func (l Limit) interval() time.Duration { return l.Period / time.Duration(l.Requests) }

func (l Limit) String() string {
	return fmt.Sprintf("%d per %s, bursts of %d, by %s", l.Requests, l.Period, l.Burst, l.By)
}

// Rate-limit change codes.
const (
	// CodeRateLimitRemoved: the operation had a rate limit and has none.
	CodeRateLimitRemoved = "rate-limit-removed"
	// CodeRateLimitLoosened: the limit lets more requests through: a
	// higher rate, a bigger burst, or counting by principal, which no
	// longer counts failed authentications, instead of by address.
	CodeRateLimitLoosened = "rate-limit-loosened"
	// CodeRateLimitAdded: the operation gained a rate limit.
	CodeRateLimitAdded = "rate-limit-added"
	// CodeRateLimitTightened: the limit lets fewer requests through.
	CodeRateLimitTightened = "rate-limit-tightened"
)

// limitsOf returns every operation's limit by operation id.
func limitsOf(api *model.API) map[string]Limit {
	limits := map[string]Limit{}
	for _, op := range api.Operations {
		if rl := op.RateLimit; rl != nil {
			limits[op.ID] = Limit{Requests: rl.Requests, Period: rl.Period, Burst: rl.Burst, By: string(rl.By)}
		}
	}
	return limits
}

// compareLimits lists how o's limit (in old) became n's (in new). Either
// snapshot may not know limits (one read from generated code): then
// nothing is said.
func compareLimits(o, n auth.Operation, old, new Snapshot) []Change {
	if old.Limits == nil || new.Limits == nil {
		return nil
	}
	ol, hadOld := old.Limits[o.ID]
	nl, hasNew := new.Limits[n.ID]
	op := n
	switch {
	case hadOld && !hasNew:
		return []Change{opChange(op, Weakening, CodeRateLimitRemoved, "", "", "its rate limit ("+ol.String()+") is gone")}
	case !hadOld && hasNew:
		return []Change{opChange(op, Strengthening, CodeRateLimitAdded, "", "", "it is now rate limited ("+nl.String()+")")}
	case !hadOld:
		return nil
	}
	looser := nl.interval() < ol.interval() || nl.Burst > ol.Burst || ol.By == string(model.LimitByAddress) && nl.By == string(model.LimitByPrincipal)
	tighter := nl.interval() > ol.interval() || nl.Burst < ol.Burst || ol.By == string(model.LimitByPrincipal) && nl.By == string(model.LimitByAddress)
	switch {
	case looser:
		return []Change{opChange(op, Weakening, CodeRateLimitLoosened, "", "", "its rate limit went from "+ol.String()+" to "+nl.String())}
	case tighter:
		return []Change{opChange(op, Strengthening, CodeRateLimitTightened, "", "", "its rate limit went from "+ol.String()+" to "+nl.String())}
	}
	return nil
}
