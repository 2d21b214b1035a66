package reports

// Link is one link a page shows: its text, and its href relative to the
// page.
type Link struct {
	Text string
	Href string
}

// RunLinks are what a run's page links to beyond itself.
type RunLinks struct {
	// Up is the page of the suite or comparison the run belongs to; zero
	// when the run stands alone.
	Up Link
	// Files are the run's own files, beside its page.
	Files []Link
}
