package smf

import (
	"context"
	"net"
	"net/url"
	"strconv"
	"time"

	"github.com/free5gc/openapi/models"

	"github.com/corebox/corebox/nf/nfkit"
	"github.com/corebox/corebox/nf/proto/sbi/nrfc"
)

// Callback paths on our SBI server.
const (
	pathNRFNotify  = "/nsmf-callback/v1/nrf-notify"
	pathCallbacks  = "/nsmf-callback/v1/sm-contexts/"
	suffixN1N2Fail = "/n1n2-failure"
	suffixPolicy   = "/sm-policy-notify"
)

// instanceID is nrf.instance_id, or a UUIDv5 of the instance name.
func (n *NF) instanceID() string {
	if n.cfg.NRF.InstanceID != "" {
		return n.cfg.NRF.InstanceID
	}
	return nrfc.InstanceIDFor(nfkit.Instance())
}

// apiRoot is where peers reach our SBI ("" until Run knows it).
func (n *NF) apiRoot() string {
	if p := n.advertise.Load(); p != nil {
		return *p
	}
	return ""
}

// callbackURI is a per-context callback of ours.
func (n *NF) callbackURI(ref, suffix string) string {
	root := n.apiRoot()
	if root == "" {
		return ""
	}
	return root + pathCallbacks + url.PathEscape(ref) + suffix
}

// advertiseURI is the configured URI, else the bound address when the
// listen address is specific.
func advertiseURI(configured, listen, scheme string, bound net.Addr) string {
	if configured != "" {
		return configured
	}
	if specificHost(listen) && bound != nil {
		return scheme + "://" + bound.String()
	}
	return ""
}

// profile is what the SMF registers: Nsmf_PDUSession at advertise, and
// smfInfo listing the DNNs per slice, so AMFs find us by S-NSSAI and DNN.
func (n *NF) profile(advertise string) models.Nrf_NFMgmt_NFProfile {
	p := models.Nrf_NFMgmt_NFProfile{NfInstanceId: n.instanceID(), NfType: models.Nrf_NFMgmt_NFType_SMF,
		NfStatus: models.Nrf_NFMgmt_NFStatus_REGISTERED}
	info := &models.Nrf_NFMgmt_SmfInfo{AccessType: []models.AccessType{models.AccessType_3_GPP_ACCESS}}
	for _, e := range n.dnns.entries {
		sn := models.ExtSnssai{Sst: e.snssai.Sst, Sd: e.snssai.Sd}
		i := indexSlice(info.SNssaiSmfInfoList, sn)
		if i < 0 {
			p.SNssais = append(p.SNssais, sn)
			info.SNssaiSmfInfoList = append(info.SNssaiSmfInfoList, models.Nrf_NFMgmt_SnssaiSmfInfoItem{SNssai: &sn})
			i = len(info.SNssaiSmfInfoList) - 1
		}
		it := &info.SNssaiSmfInfoList[i]
		it.DnnSmfInfoList = append(it.DnnSmfInfoList, models.Nrf_NFMgmt_DnnSmfInfoItem{Dnn: e.name})
	}
	p.SmfInfo = info
	u, err := url.Parse(advertise)
	if advertise == "" || err != nil || u.Host == "" {
		return p
	}
	svc := models.Nrf_NFMgmt_NFService{ServiceInstanceId: string(models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION),
		ServiceName: models.Nrf_NFMgmt_ServiceName_NSMF_PDUSESSION, Scheme: models.UriScheme(u.Scheme),
		NfServiceStatus: models.Nrf_NFMgmt_NFServiceStatus_REGISTERED, ApiPrefix: advertise,
		Versions: []models.Nrf_NFMgmt_NFServiceVersion{{ApiVersionInUri: "v1", ApiFullVersion: "1.0.0"}}}
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.To4() != nil {
		port, err := strconv.Atoi(u.Port())
		if err != nil {
			port = 80
			if u.Scheme == "https" {
				port = 443
			}
		}
		p.Ipv4Addresses = []string{ip.String()}
		svc.IpEndPoints = []models.Nrf_NFMgmt_IpEndPoint{{Ipv4Address: ip.String(), Port: int32(port),
			Transport: models.Nrf_NFMgmt_TransportProtocol_TCP}}
	} else {
		p.Fqdn = u.Hostname()
	}
	p.NfServices = []models.Nrf_NFMgmt_NFService{svc}
	return p
}

func indexSlice(list []models.Nrf_NFMgmt_SnssaiSmfInfoItem, s models.ExtSnssai) int {
	for i, it := range list {
		if it.SNssai != nil && it.SNssai.Sst == s.Sst && normSD(it.SNssai.Sd) == normSD(s.Sd) {
			return i
		}
	}
	return -1
}

// suspendRetry is the pause between attempts to mark us SUSPENDED.
const suspendRetry = time.Second

// suspendOnDrain marks our profile SUSPENDED once a drain starts, retrying
// until the NRF takes it.
func (n *NF) suspendOnDrain(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return nil
	case <-n.drain:
	}
	t := time.NewTicker(suspendRetry)
	defer t.Stop()
	for {
		err := n.nrf.SetStatus(ctx, models.Nrf_NFMgmt_NFStatus_SUSPENDED)
		if err == nil {
			n.log.Info("drain: NRF profile SUSPENDED", "sessions", n.Sessions())
			return nil
		}
		n.log.Warn("drain: could not mark the NRF profile SUSPENDED; retrying", "err", err, "in", suspendRetry)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// discoverUPFs asks the NRF for UPFs every nrf.upf_discovery, and at once
// when a notification says UPFs changed.
func (n *NF) discoverUPFs(ctx context.Context) error {
	t := time.NewTicker(n.cfg.NRF.UPFDiscovery)
	defer t.Stop()
	for {
		n.discoverOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-n.discoverNow:
		}
	}
}

func (n *NF) discoverOnce(ctx context.Context) {
	q := nrfc.Query{TargetNfType: models.Nrf_NFMgmt_NFType_UPF, RequesterNfType: models.Nrf_NFMgmt_NFType_SMF,
		RequesterNfInstanceID: n.instanceID()}
	res, err := n.nrf.Discover(ctx, q)
	if err != nil {
		if ctx.Err() == nil {
			n.log.Warn("UPF discovery failed", "err", err)
		}
		return
	}
	added := n.upfs.updateDiscovered(res.NfInstances, n.upfPort, time.Now())
	for _, u := range added {
		n.log.Info("UPF discovered", "n4", u.key, "nf_instance_id", u.nfID)
	}
	if len(added) > 0 {
		n.kickAssociations()
	}
}

// subscribeUPFs asks the NRF to tell us when UPFs come and go, so a new
// replica is used without waiting for the next discovery round.
func (n *NF) subscribeUPFs(ctx context.Context) error {
	uri := n.apiRoot()
	if uri == "" {
		n.log.Info("no advertise_uri: not subscribing to UPF changes; discovery polls every", "interval", n.cfg.NRF.UPFDiscovery)
		return nil
	}
	sub := models.Nrf_NFMgmt_SubscriptionData{NfStatusNotificationUri: uri + pathNRFNotify,
		ReqNfType: models.Nrf_NFMgmt_NFType_SMF, ReqNfInstanceId: n.instanceID(),
		SubscrCond: &models.Nrf_NFMgmt_SubscrCond{NfType: string(models.Nrf_NFMgmt_NFType_UPF)}}
	t := time.NewTicker(n.cfg.NRF.UPFDiscovery)
	defer t.Stop()
	for {
		got, err := n.nrf.Subscribe(ctx, sub)
		if err == nil {
			n.subscribed.Store(true)
			n.log.Info("subscribed to UPF changes", "subscription", got.SubscriptionId)
			<-ctx.Done()
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := n.nrf.Unsubscribe(uctx, got.SubscriptionId); err != nil {
				n.log.Debug("unsubscribe from UPF changes", "err", err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return nil
		}
		n.log.Warn("subscription to UPF changes failed; retrying", "err", err, "in", n.cfg.NRF.UPFDiscovery)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// onNRFNotify runs for each status notification (the cache is already
// invalidated): discover again.
func (n *NF) onNRFNotify(_ context.Context, _ models.Nrf_NFMgmt_NotificationData) {
	select {
	case n.discoverNow <- struct{}{}:
	default:
	}
}
