/* mgmt.c - the management API (mgmt.h). NEEDSWORK: being written. */
#include "mgmt.h"

#include "../common/banned.h"

void mgmt_handle(struct app *app, struct store_conn *c, const struct principal *who,
		 const struct api_req *req, struct api_resp *resp, const char *const *seg,
		 size_t n_seg)
{
	(void)app;
	(void)c;
	(void)who;
	(void)req;
	(void)seg;
	(void)n_seg;
	resp->content_type = "application/json";
	api_reply_error(resp, 404, "no such resource");
}
