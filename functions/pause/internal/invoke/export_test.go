package invoke

import "time"

// SetPostedWithin shortens the bound of a wait=false pause, which New sets to 10 s.
func (s *Service) SetPostedWithin(d time.Duration) { s.postedWithin = d }
