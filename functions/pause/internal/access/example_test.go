package access_test

import (
	"fmt"

	"github.com/dws-dr/drpause/functions/pause/internal/access"
)

// Each list is parsed once, at configuration; every route is handed the same predicate.
func Example() {
	ids, err := access.DRIDs([]string{"e59d6b86-9072-46eb-a996-13f8b44994c1"})
	if err != nil {
		fmt.Println(err)
		return
	}
	allowed := ids.Allows
	fmt.Println(allowed("e59d6b86-9072-46eb-a996-13f8b44994c1"), allowed("3dc7b9ea-70b4-4c38-942d-e2636e6d844c"))

	bearer := access.Bearer("local-invoke-token")
	fmt.Println(bearer("Bearer local-invoke-token"), bearer("Bearer guess"), access.Bearer("") == nil)
	// Output:
	// true false
	// true false true
}
