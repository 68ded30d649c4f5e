package emulator

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/sfmcp/sfmcp/internal/emulator/schema"
	"github.com/sfmcp/sfmcp/internal/emulator/store"
	"github.com/sfmcp/sfmcp/internal/sfid"
)

// personNamed are the objects whose Name is built from FirstName and LastName.
var personNamed = map[string]bool{"Contact": true, "Lead": true, "User": true}

// create validates body as a new record of obj and stores it in tx.
func (o *Org) create(ctx context.Context, tx *store.Tx, obj *schema.Object, body map[string]any, userID string) (string, *apiError) {
	rec, aerr := o.newRecord(ctx, tx, obj, body, userID, timestamp(o.now()))
	if aerr != nil {
		return "", aerr
	}
	id, err := o.newID(ctx, tx, obj)
	if err != nil {
		return "", internalError(err)
	}
	rec["Id"] = id
	if err := tx.Insert(ctx, obj.Name, rec, indexValues(obj, rec)); err != nil {
		return "", storeError(err)
	}
	return id, nil
}

// newRecord validates body as a new record of obj and returns it complete
// but for its Id: defaults, audit fields stamped now, derived fields. It
// writes nothing; a Bulk insert gives a chunk of them their ids at once.
func (o *Org) newRecord(ctx context.Context, tx *store.Tx, obj *schema.Object, body map[string]any, userID, now string) (store.Record, *apiError) {
	if !obj.Createable {
		return nil, errf(400, "INVALID_TYPE", nil, "Cannot create a new record of type %s", obj.Name)
	}
	plan := o.createPlan(obj)
	return o.fillNewRecord(ctx, tx, obj, plan, make(store.Record, len(plan.defaults)+len(body)+8), body, userID, now)
}

// newRecordInto is newRecord filling rec, which must be empty, instead of
// a new map: a Bulk insert's reader encodes each record at once and then
// reuses the map for the next row, which spared it about a tenth of its
// time in allocating and collecting maps. userID and now are strings held
// in interfaces: converted once per chunk, not once per field of each row.
func (o *Org) newRecordInto(ctx context.Context, tx *store.Tx, obj *schema.Object, rec store.Record, body map[string]any, userID, now any) (store.Record, *apiError) {
	if !obj.Createable {
		return nil, errf(400, "INVALID_TYPE", nil, "Cannot create a new record of type %s", obj.Name)
	}
	return o.fillNewRecord(ctx, tx, obj, o.createPlan(obj), rec, body, userID, now)
}

func (o *Org) fillNewRecord(ctx context.Context, tx *store.Tx, obj *schema.Object, plan *createPlan, rec store.Record, body map[string]any, userID, now any) (store.Record, *apiError) {
	if aerr := o.apply(ctx, tx, obj, rec, body, true); aerr != nil {
		return nil, aerr
	}
	rec["IsDeleted"] = false
	for _, f := range plan.stamped {
		if rec[f] == nil {
			rec[f] = now
		}
	}
	for _, f := range plan.byUser {
		rec[f] = userID
	}
	if plan.owned && rec["OwnerId"] == nil {
		rec["OwnerId"] = userID
	}
	for _, d := range plan.defaults {
		if _, set := rec[d.field]; !set {
			rec[d.field] = d.value
		}
	}
	derive(obj, rec, body, true)
	for _, f := range plan.required {
		if rec[f] == nil {
			return nil, requiredMissing(obj, rec)
		}
	}
	return rec, nil
}

// createPlan is what creating a record of an object always does, worked
// out once per object from its schema (which never changes).
type createPlan struct {
	stamped  []string // CreatedDate, LastModifiedDate, SystemModstamp: now unless set
	byUser   []string // CreatedById, LastModifiedById: the user
	owned    bool     // OwnerId: the user unless set
	defaults []fieldDefault
	required []string // IsRequiredOnCreate
}

type fieldDefault struct {
	field string
	value any
}

func (o *Org) createPlan(obj *schema.Object) *createPlan {
	if p, ok := o.plans.Load(obj); ok {
		return p.(*createPlan)
	}
	p := &createPlan{owned: obj.Field("OwnerId") != nil}
	for _, f := range []string{"CreatedDate", "LastModifiedDate", "SystemModstamp"} {
		if obj.Field(f) != nil {
			p.stamped = append(p.stamped, f)
		}
	}
	for _, f := range []string{"CreatedById", "LastModifiedById"} {
		if obj.Field(f) != nil {
			p.byUser = append(p.byUser, f)
		}
	}
	for _, f := range obj.Fields {
		if f.IsRequiredOnCreate() {
			p.required = append(p.required, f.Name)
		}
		if f.Name == "Id" || f.Name == "IsDeleted" || f.Name == "OwnerId" || slices.Contains(p.stamped, f.Name) || slices.Contains(p.byUser, f.Name) {
			continue // set above; a default never applies to them
		}
		switch {
		case f.Type == "boolean":
			p.defaults = append(p.defaults, fieldDefault{f.Name, false})
		case f.Type == "picklist" && f.DefaultedOnCreate:
			var v any
			for _, pv := range f.PicklistValues {
				if pv.DefaultValue && pv.Active {
					v = pv.Value
				}
			}
			if v != nil {
				p.defaults = append(p.defaults, fieldDefault{f.Name, v})
			}
		}
	}
	got, _ := o.plans.LoadOrStore(obj, p)
	return got.(*createPlan)
}

// update applies body to the live record id of obj in tx.
func (o *Org) update(ctx context.Context, tx *store.Tx, obj *schema.Object, id string, body map[string]any, userID string) *apiError {
	norm, err := sfid.Normalize(id)
	if err != nil || norm[:3] != obj.KeyPrefix {
		return errf(400, "MALFORMED_ID", []string{"Id"}, "%s ID: id value of incorrect type: %s", obj.Label, id)
	}
	rec, _, err := tx.Get(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	if err != nil {
		return internalError(err)
	}
	if deleted, _ := rec["IsDeleted"].(bool); deleted {
		return saveErr(404, "ENTITY_IS_DELETED", "entity is deleted")
	}
	if converted, _ := rec["IsConverted"].(bool); converted && obj.Name == "Lead" {
		return saveErr(400, "CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
	}
	touched := map[string]bool{}
	for k := range body {
		if f := obj.Field(k); f != nil {
			touched[f.Name] = true
		}
	}
	if aerr := o.apply(ctx, tx, obj, rec, body, false); aerr != nil {
		return aerr
	}
	now := timestamp(o.now())
	rec["LastModifiedDate"] = now
	rec["SystemModstamp"] = now
	if obj.Field("LastModifiedById") != nil {
		rec["LastModifiedById"] = userID
	}
	derive(obj, rec, body, false)
	if aerr := requireFields(obj, rec, touched); aerr != nil {
		return aerr
	}
	if err := tx.Replace(ctx, obj.Name, rec, indexValues(obj, rec)); err != nil {
		return storeError(err)
	}
	return nil
}

// remove moves the record to the recycle bin (IsDeleted = true), where
// queryAll still finds it.
func (o *Org) remove(ctx context.Context, tx *store.Tx, obj *schema.Object, id string, hard bool) *apiError {
	norm, err := sfid.Normalize(id)
	if err != nil || (obj != nil && norm[:3] != obj.KeyPrefix) {
		return errf(400, "MALFORMED_ID", nil, "malformed id %s", id)
	}
	rec, object, err := tx.Get(ctx, norm)
	if errors.Is(err, store.ErrNotFound) {
		return errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	if err != nil {
		return internalError(err)
	}
	if obj == nil {
		obj = o.schema.Object(object)
	}
	if !obj.Deletable {
		return saveErr(400, "INSUFFICIENT_ACCESS_OR_READONLY", "insufficient access rights on object id")
	}
	if deleted, _ := rec["IsDeleted"].(bool); deleted {
		if hard {
			if err := tx.Purge(ctx, norm); err != nil {
				return internalError(err)
			}
			return nil
		}
		return saveErr(404, "ENTITY_IS_DELETED", "entity is deleted")
	}
	// Salesforce deletes the cascading children with their parent (an
	// Account's Contacts and Opportunities, their roles, …) and refuses when
	// a restricting child remains (an Account's or Contact's Cases).
	doomed := []cascadeItem{{obj: obj, id: norm, rec: rec}}
	if aerr := o.collectCascade(ctx, tx, &doomed); aerr != nil {
		return aerr
	}
	now := timestamp(o.now())
	for _, d := range doomed {
		if hard {
			if err := tx.Purge(ctx, d.id); err != nil {
				return internalError(err)
			}
			continue
		}
		d.rec["IsDeleted"] = true
		d.rec["LastModifiedDate"] = now
		d.rec["SystemModstamp"] = now
		if err := tx.Replace(ctx, d.obj.Name, d.rec, nil); err != nil {
			return storeError(err)
		}
	}
	return nil
}

// cascadeItem is a record a delete takes with it.
type cascadeItem struct {
	obj *schema.Object
	id  string
	rec store.Record
}

// maxCascade bounds how many records one delete may take with it.
const maxCascade = 50000

// collectCascade appends to doomed, breadth first, every live
// child record that cascades, and refuses with DELETE_FAILED when a child
// restricts the delete.
func (o *Org) collectCascade(ctx context.Context, tx *store.Tx, doomed *[]cascadeItem) *apiError {
	seen := map[string]bool{}
	for _, d := range *doomed {
		seen[d.id] = true
	}
	for i := 0; i < len(*doomed); i++ {
		parent := (*doomed)[i]
		for _, cr := range parent.obj.ChildRelationships {
			if !cr.CascadeDelete && !cr.RestrictedDelete {
				continue
			}
			child := o.schema.Object(cr.ChildSObject)
			if child == nil || child.Field(cr.Field) == nil {
				continue
			}
			ids, err := tx.Referencing(ctx, child.Name, child.Field(cr.Field).Name, parent.id)
			if err != nil {
				return internalError(err)
			}
			if len(ids) == 0 {
				continue
			}
			if cr.RestrictedDelete {
				// Salesforce names the blocking records by their name field
				// (a Case by its CaseNumber) and ends the message with a
				// newline: "Your attempt to delete Mr. Josh Davis could not be
				// completed because it is associated with the following
				// cases.: 00001005\n" (quoted from a real response in a
				// public client's source).
				names := make([]string, 0, len(ids))
				for _, id := range ids {
					rec, _, err := tx.Get(ctx, id)
					if err != nil {
						return storeError(err)
					}
					names = append(names, recordName(child, rec))
				}
				top := (*doomed)[0]
				return saveErr(400, "DELETE_FAILED", "Your attempt to delete %s could not be completed because it is associated with the following %s.: %s\n",
					recordName(top.obj, top.rec), strings.ToLower(child.LabelPlural), strings.Join(names, ", "))
			}
			for _, id := range ids {
				if seen[id] {
					continue
				}
				if len(*doomed) >= maxCascade {
					top := (*doomed)[0]
					return saveErr(400, "DELETE_FAILED", "Your attempt to delete %s could not be completed because it has too many related records", recordName(top.obj, top.rec))
				}
				rec, _, err := tx.Get(ctx, id)
				if err != nil {
					return storeError(err)
				}
				seen[id] = true
				*doomed = append(*doomed, cascadeItem{obj: child, id: id, rec: rec})
			}
		}
	}
	return nil
}

// recordName is how Salesforce names a record in messages: its name field,
// else its id.
func recordName(obj *schema.Object, rec store.Record) string {
	if f := obj.NameField(); f != nil {
		if s, ok := rec[f.Name].(string); ok && s != "" {
			return s
		}
	}
	return str(rec["Id"])
}

// upsert creates or updates the record of obj whose external id field has
// value. It answers 300 with the candidates when several match.
func (o *Org) upsert(ctx context.Context, tx *store.Tx, obj *schema.Object, fieldName, value string, body map[string]any, userID string) (id string, created bool, aerr *apiError) {
	f := obj.Field(fieldName)
	if f == nil || !usableAsKey(f) {
		return "", false, errf(404, "NOT_FOUND", nil, "Provided external ID field does not exist or is not accessible: %s", fieldName)
	}
	body = withoutKey(body, f.Name)
	if f.Type == "id" {
		if value == "" {
			id, aerr = o.create(ctx, tx, obj, body, userID)
			return id, true, aerr
		}
		norm, err := sfid.Normalize(value)
		if err != nil {
			return "", false, errf(400, "MALFORMED_ID", []string{"Id"}, "%s ID: id value of incorrect type: %s", obj.Label, value)
		}
		return norm, false, o.update(ctx, tx, obj, norm, body, userID)
	}
	ids, err := tx.Lookup(ctx, obj.Name, f.Name, indexKey(f, value))
	if err != nil {
		return "", false, internalError(err)
	}
	switch len(ids) {
	case 0:
		body[f.Name] = value
		id, aerr = o.create(ctx, tx, obj, body, userID)
		return id, true, aerr
	case 1:
		return ids[0], false, o.update(ctx, tx, obj, ids[0], body, userID)
	default:
		return "", false, &apiError{Status: 300, Code: "MULTIPLE_CHOICES", Message: strings.Join(ids, ","), Fields: ids}
	}
}

func withoutKey(body map[string]any, name string) map[string]any {
	out := make(map[string]any, len(body))
	for k, v := range body {
		if !strings.EqualFold(k, name) {
			out[k] = v
		}
	}
	return out
}

// apply validates and copies the fields of body onto rec.
func (o *Org) apply(ctx context.Context, tx *store.Tx, obj *schema.Object, rec store.Record, body map[string]any, creating bool) *apiError {
	// Bodies have a few fields mostly: keys and their fields stay on the
	// stack (a Bulk insert applies one body per row).
	var keyBuf [24]string
	var fieldBuf [24]*schema.Field
	keys := keyBuf[:0]
	if len(body) > len(keyBuf) {
		keys = make([]string, 0, len(body))
	}
	for k := range body {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	fields := fieldBuf[:0]
	if len(keys) > len(fieldBuf) {
		fields = make([]*schema.Field, 0, len(keys))
	}
	var readOnly []string
	for _, k := range keys {
		if k == "attributes" {
			fields = append(fields, nil)
			continue
		}
		f := obj.Field(k)
		fields = append(fields, f)
		if f == nil {
			return errf(400, "INVALID_FIELD", []string{k}, "No such column '%s' on sobject of type %s", k, obj.Name)
		}
		if f.Type == "id" {
			// Clients echo the Id back in PATCH bodies; it may not change.
			if s, _ := body[k].(string); !creating && (s == "" || sfid.Equal(s, str(rec["Id"]))) {
				continue
			}
			readOnly = append(readOnly, f.Name)
			continue
		}
		if (creating && !f.Createable) || (!creating && !f.Updateable) {
			readOnly = append(readOnly, f.Name)
		}
	}
	if len(readOnly) > 0 {
		return errf(400, "INVALID_FIELD_FOR_INSERT_UPDATE", readOnly,
			"Unable to create/update fields: %s. Please check the security settings of this field and verify that it is read/write for your profile or permission set.",
			strings.Join(readOnly, ", "))
	}
	for i, k := range keys {
		if k == "attributes" {
			continue
		}
		f := fields[i]
		if f.Type == "id" {
			continue
		}
		v, aerr := o.coerce(f, body[k])
		if aerr != nil {
			return aerr
		}
		if f.Type == "reference" && v != nil {
			if aerr := o.checkReference(ctx, tx, f, v.(string)); aerr != nil {
				return aerr
			}
		}
		if v == nil {
			delete(rec, f.Name)
			if !creating {
				rec[f.Name] = nil
			}
			continue
		}
		rec[f.Name] = v
	}
	return nil
}

func (o *Org) checkReference(ctx context.Context, tx *store.Tx, f *schema.Field, id string) *apiError {
	rec, _, err := tx.Get(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errf(400, "INSUFFICIENT_ACCESS_ON_CROSS_REFERENCE_ENTITY", []string{f.Name},
			"insufficient access rights on cross-reference id: %s", id)
	}
	if err != nil {
		return internalError(err)
	}
	if deleted, _ := rec["IsDeleted"].(bool); deleted {
		return errf(400, "ENTITY_IS_DELETED", []string{f.Name}, "entity is deleted")
	}
	return nil
}

// derive fills the fields Salesforce computes: Name of people, an
// Opportunity's stage and fiscal fields.
func derive(obj *schema.Object, rec store.Record, body map[string]any, creating bool) {
	if obj.Name == "Opportunity" {
		deriveOpportunity(rec, body, creating)
	}
	if personNamed[obj.Name] {
		first, _ := rec["FirstName"].(string)
		last, _ := rec["LastName"].(string)
		if name := strings.TrimSpace(first + " " + last); name != "" {
			rec["Name"] = name
		}
	}
}

// requireFields reports the required fields rec lacks; on update only the
// fields the body touched are checked.
func requireFields(obj *schema.Object, rec store.Record, touched map[string]bool) *apiError {
	var missing []string
	for _, f := range obj.Fields {
		if touched != nil && !touched[f.Name] {
			continue
		}
		required := f.IsRequiredOnCreate()
		if touched != nil {
			required = !f.Nillable && f.Updateable && f.Type != "boolean"
		}
		if required && rec[f.Name] == nil {
			missing = append(missing, f.Name)
		}
	}
	if len(missing) > 0 {
		return errf(400, "REQUIRED_FIELD_MISSING", missing, "Required fields are missing: [%s]", strings.Join(missing, ", "))
	}
	return nil
}

// requiredMissing is the error of a new record that lacks required fields.
func requiredMissing(obj *schema.Object, rec store.Record) *apiError {
	return requireFields(obj, rec, nil)
}

// indexKey normalizes an external id or unique value for lookup: Salesforce
// matches them case-insensitively unless the field says otherwise.
func indexKey(f *schema.Field, v string) string {
	if cs, _ := f.Raw["caseSensitive"].(bool); cs {
		return v
	}
	return strings.ToLower(v)
}

// usableAsKey reports whether upserts and lookups may name records by f:
// the Id, external ids, and the standard fields marked idLookup (Email on
// Contact and Lead, Username on User).
func usableAsKey(f *schema.Field) bool {
	return f != nil && (f.Type == "id" || f.ExternalID || f.IDLookup)
}

func indexValues(obj *schema.Object, rec store.Record) []store.IndexValue {
	var out []store.IndexValue
	for _, f := range obj.Fields {
		if f.Type == "id" || !(usableAsKey(f) || (f.Unique && f.Custom)) {
			continue
		}
		s, ok := rec[f.Name].(string)
		if !ok || s == "" {
			continue
		}
		out = append(out, store.IndexValue{Field: f.Name, Value: indexKey(f, s), Unique: f.Unique || f.Name == "Username"})
	}
	return out
}

func storeError(err error) *apiError {
	var dup *store.DuplicateError
	if errors.As(err, &dup) {
		return saveErr(400, "DUPLICATE_VALUE", "duplicate value found: %s duplicates value on record with id: %s", dup.Field, dup.ID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return errf(404, "NOT_FOUND", nil, "The requested resource does not exist")
	}
	return internalError(err)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}
