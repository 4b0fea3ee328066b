package rules

import (
	"bytes"
	"fmt"

	"github.com/go-json-experiment/json/jsontext"
	networking "istio.io/api/networking/v1alpha3"
)

// VirtualServiceSpec is what the rules read of a VirtualService's spec,
// decoded in one pass by the admission decoder and gateguard's cache
// alike: hosts, gateways and exportTo, whether there are HTTP routes (no
// rule reads one, so none is decoded), and the TLS and TCP routes, rare,
// kept raw for Istio's own decoder to read every field of their matches
// as Istio reads it. As protojson does, it reads exportTo by its proto
// name too; the other fields' names are the same in both.
type VirtualServiceSpec struct {
	Hosts         []string       `json:"hosts"`
	Gateways      []string       `json:"gateways"`
	ExportTo      []string       `json:"exportTo"`
	ExportToProto []string       `json:"export_to"`
	HTTP          NonEmptyArray  `json:"http"`
	TLS           jsontext.Value `json:"tls"`
	TCP           jsontext.Value `json:"tcp"`
}

// Fill sets spec from s; http stands for the HTTP routes when there are
// some: the rules only ask whether there are.
func (s *VirtualServiceSpec) Fill(spec *networking.VirtualService, http []*networking.HTTPRoute) error {
	spec.Hosts, spec.Gateways, spec.ExportTo = s.Hosts, s.Gateways, s.ExportTo
	if s.ExportTo == nil {
		spec.ExportTo = s.ExportToProto
	}
	if s.HTTP {
		spec.Http = http
	}
	if s.TLS == nil && s.TCP == nil {
		return nil
	}
	routes := []byte("{")
	for _, r := range []struct {
		name string
		raw  jsontext.Value
	}{{"tls", s.TLS}, {"tcp", s.TCP}} {
		if r.raw != nil {
			routes = append(append(append(routes, `"`+r.name+`":`...), r.raw...), ',')
		}
	}
	routes[len(routes)-1] = '}'
	decoded := &networking.VirtualService{}
	if err := decoded.UnmarshalJSON(routes); err != nil {
		return fmt.Errorf("routes: %w", err)
	}
	spec.Tls, spec.Tcp = decoded.Tls, decoded.Tcp
	return nil
}

// NonEmptyArray records whether a JSON array has elements, decoding none.
type NonEmptyArray bool

// UnmarshalJSONFrom reads an array, or null, from d. Anything else is
// refused, as Istio's decoder refuses it: /mutate and gateguard check see
// objects no schema has checked yet.
func (p *NonEmptyArray) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	v, err := d.ReadValue()
	if err != nil || v.Kind() == 'n' {
		return err
	}
	if v.Kind() != '[' {
		return fmt.Errorf("want an array, got %s", v.Kind())
	}
	*p = len(bytes.TrimSpace(v[1:len(v)-1])) > 0
	return nil
}
