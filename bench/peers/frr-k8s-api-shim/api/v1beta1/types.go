// Package v1beta1 stands in for github.com/metallb/frr-k8s/api/v1beta1 so that MetalLB's
// controller compiles; see ../../README.md for why it exists and why it is never exercised.
package v1beta1

import (
	"encoding/json"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	GroupVersion  = schema.GroupVersion{Group: "frrk8s.metallb.io", Version: "v1beta1"}
	SchemeBuilder = runtime.NewSchemeBuilder(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, &FRRConfiguration{}, &FRRConfigurationList{})
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})
	AddToScheme = SchemeBuilder.AddToScheme
)

type DynamicASNMode string

type SecretReference struct {
	Name      string `json:"name,omitempty"`
	Namespace string `json:"namespace,omitempty"`
}

type AllowedOutPrefixes struct {
	Prefixes []string `json:"prefixes,omitempty"`
	Mode     string   `json:"mode,omitempty"`
}

type CommunityPrefixes struct {
	Prefixes  []string `json:"prefixes,omitempty"`
	Community string   `json:"community,omitempty"`
}

type LocalPrefPrefixes struct {
	Prefixes  []string `json:"prefixes,omitempty"`
	LocalPref uint32   `json:"localPref,omitempty"`
}

type AsPathPrependPrefixes struct {
	Prefixes      []string `json:"prefixes,omitempty"`
	AsPathPrepend uint8    `json:"asPathPrepend,omitempty"`
}

type Advertise struct {
	Allowed                   AllowedOutPrefixes      `json:"allowed,omitempty"`
	PrefixesWithLocalPref     []LocalPrefPrefixes     `json:"withLocalPref,omitempty"`
	PrefixesWithCommunity     []CommunityPrefixes     `json:"withCommunity,omitempty"`
	PrefixesWithAsPathPrepend []AsPathPrependPrefixes `json:"withAsPathPrepend,omitempty"`
}

type Neighbor struct {
	ASN                    uint32           `json:"asn,omitempty"`
	DynamicASN             DynamicASNMode   `json:"dynamicASN,omitempty"`
	Address                string           `json:"address,omitempty"`
	Interface              string           `json:"interface,omitempty"`
	Port                   *uint16          `json:"port,omitempty"`
	Password               string           `json:"password,omitempty"`
	PasswordSecret         SecretReference  `json:"passwordSecret,omitempty"`
	HoldTime               *metav1.Duration `json:"holdTime,omitempty"`
	KeepaliveTime          *metav1.Duration `json:"keepaliveTime,omitempty"`
	ConnectTime            *metav1.Duration `json:"connectTime,omitempty"`
	EBGPMultiHop           bool             `json:"ebgpMultiHop,omitempty"`
	BFDProfile             string           `json:"bfdProfile,omitempty"`
	EnableGracefulRestart  bool             `json:"enableGracefulRestart,omitempty"`
	ToAdvertise            Advertise        `json:"toAdvertise,omitempty"`
	DualStackAddressFamily bool             `json:"dualStackAddressFamily,omitempty"`
	DisableMP              bool             `json:"disableMP,omitempty"`
}

type Router struct {
	ASN       uint32     `json:"asn"`
	ID        string     `json:"id,omitempty"`
	VRF       string     `json:"vrf,omitempty"`
	Neighbors []Neighbor `json:"neighbors,omitempty"`
	Prefixes  []string   `json:"prefixes,omitempty"`
}

type BFDProfile struct {
	Name             string  `json:"name"`
	ReceiveInterval  *uint32 `json:"receiveInterval,omitempty"`
	TransmitInterval *uint32 `json:"transmitInterval,omitempty"`
	DetectMultiplier *uint32 `json:"detectMultiplier,omitempty"`
	EchoInterval     *uint32 `json:"echoInterval,omitempty"`
	EchoMode         *bool   `json:"echoMode,omitempty"`
	PassiveMode      *bool   `json:"passiveMode,omitempty"`
	MinimumTTL       *uint32 `json:"minimumTtl,omitempty"`
}

type BGPConfig struct {
	Routers     []Router     `json:"routers"`
	BFDProfiles []BFDProfile `json:"bfdProfiles,omitempty"`
}

type FRRConfigurationSpec struct {
	BGP          BGPConfig            `json:"bgp,omitempty"`
	NodeSelector metav1.LabelSelector `json:"nodeSelector,omitempty"`
}

type FRRConfiguration struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              FRRConfigurationSpec `json:"spec,omitempty"`
}

type FRRConfigurationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []FRRConfiguration `json:"items"`
}

// roundTrip deep-copies through JSON: these objects are small and never on a hot path.
func roundTrip[T any](in *T) *T {
	if in == nil {
		return nil
	}
	raw, err := json.Marshal(in)
	if err != nil {
		panic(err)
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		panic(err)
	}
	return out
}

func (in *FRRConfigurationSpec) DeepCopyInto(out *FRRConfigurationSpec) { *out = *roundTrip(in) }
func (in *FRRConfigurationSpec) DeepCopy() *FRRConfigurationSpec        { return roundTrip(in) }
func (in *FRRConfiguration) DeepCopy() *FRRConfiguration                { return roundTrip(in) }
func (in *FRRConfiguration) DeepCopyObject() runtime.Object             { return roundTrip(in) }
func (in *FRRConfigurationList) DeepCopy() *FRRConfigurationList        { return roundTrip(in) }
func (in *FRRConfigurationList) DeepCopyObject() runtime.Object         { return roundTrip(in) }
