package faults

// None are the parameters of a kind that takes none: an outage, a lock, a
// crash.
type None struct{}

func none() Params { return &None{} }

func (*None) Fields() []string { return nil }

func (*None) Set(field, _ string) error {
	return &FieldError{Field: field, Msg: "is not a parameter of this kind"}
}

func (*None) Check(string) error { return nil }

func (*None) String() string { return "" }
