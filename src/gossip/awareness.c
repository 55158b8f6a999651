/*
 * Lifeguard local health awareness ("LHA-Probe", Dadgar et al., Lifeguard:
 * Local Health Awareness for More Accurate Failure Detection, 2018). A score in
 * 0..awareness_max-1 measures how much this node doubts itself: a member that
 * misses acks because it is itself slow or overloaded should not accuse others
 * at full speed. The score rises on a failed probe (by the number of missed
 * nacks when intermediaries were asked, else by 1) and when we must refute a
 * suspicion of ourselves; it falls by 1 on each successful probe. The probe
 * interval (and with it the time the probe waits for indirect acks and the TCP
 * fallback) is scaled by score+1. The direct probe timeout is not scaled:
 * waiting longer does not get a UDP packet through.
 */
#include "gossip/internal.h"

void aw_apply(struct memberlist *ml, int delta)
{
	int s = ml->awareness + delta;
	if (s < 0)
		s = 0;
	if (s > ml->cfg.awareness_max - 1)
		s = ml->cfg.awareness_max - 1;
	ml->awareness = s;
}

uint64_t aw_scale(const struct memberlist *ml, uint64_t t)
{
	return t * (uint64_t)(ml->awareness + 1);
}

int memberlist_health_score(const struct memberlist *ml)
{
	return ml->awareness;
}
