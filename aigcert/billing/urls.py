from django.urls import path

from aigcert.billing import views

app_name = "billing"

urlpatterns = [
    path("orders/", views.orders, name="orders"),
    path("orders/<uuid:code>/", views.order, name="order"),
    path("orders/<uuid:code>/receipt/", views.receipt, name="receipt"),
    path("orders/<uuid:code>/invoice/", views.invoice, name="invoice"),
    path("orders/<uuid:code>/wechat/", views.pay_wechat, name="pay_wechat"),
    path("billing/notify/alipay/", views.notify_alipay, name="notify_alipay"),
    path("billing/notify/wechat/", views.notify_wechat, name="notify_wechat"),
    path("staff/finance/", views.finance_desk, name="finance"),
    path("staff/finance/orders/<uuid:code>/confirm/", views.finance_confirm, name="finance_confirm"),
    path("staff/finance/refunds/", views.finance_refund, name="refund"),
    path("staff/finance/refunds/<uuid:code>/complete/", views.finance_refund_complete, name="refund_complete"),
]
